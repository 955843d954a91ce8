// Stop the server and start it again on the same DATA_DIR: everything the OP issued or knows still works.
import test from 'ava';
import { startServer } from '../helpers/harness.ts';
import { Browser, authorize, pkce, tokenRequest } from '../helpers/oauth.ts';
import { decodeProtectedHeader } from 'jose';
import { codeFor, codeRequest, redeemCode, seedBasics, ADMIN_TOOL, SERVICE, WEB } from '../helpers/fixtures.ts';

test('keys, clients, accounts, grants and refresh tokens survive a restart', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  await seedBasics(server);
  const jwksBefore = await (await fetch(`${server.url}/jwks`)).json();
  const browser = new Browser();
  const { code, verifier } = await codeFor(server, WEB, {}, { browser });
  const tokens = await redeemCode(server, code, verifier);
  t.is(tokens.status, 200);

  await server.restart();

  t.deepEqual(await (await fetch(`${server.url}/jwks`)).json(), jwksBefore, 'same keys');
  const userinfo = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
  t.is(userinfo.status, 200, 'access token still valid');
  const refreshed = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: WEB.client_id, client_secret: WEB.client_secret });
  t.is(refreshed.status, 200, 'refresh token and grant still valid');
  const cc = await tokenRequest(server, { grant_type: 'client_credentials', client_id: SERVICE.client_id, client_secret: SERVICE.client_secret });
  t.is(cc.status, 200, 'clients still registered');
  const again = await authorize(server, browser, codeRequest(WEB, pkce().challenge, { prompt: 'none', scope: 'openid profile' }));
  t.truthy(again.callback.searchParams.get('code'), 'browser session and cookie keys still valid');
});

test('after keys rotate and a restart, new tokens use the new key and old tokens still verify', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  await seedBasics(server);
  const cc = () => tokenRequest(server, { grant_type: 'client_credentials', client_id: ADMIN_TOOL.client_id, client_secret: ADMIN_TOOL.client_secret, scope: 'admin' });
  const before = (await cc()).body.access_token as string;
  const rotated = await server.plaza.admin.rotateKeys();
  await server.restart();
  const after = (await cc()).body.access_token as string;
  const kid = (token: string) => decodeProtectedHeader(token).kid!;
  t.not(kid(after), kid(before));
  t.true(rotated.added.includes(kid(after)));
  const jwks = await (await fetch(`${server.url}/jwks`)).json() as { keys: { kid: string }[] };
  t.true(jwks.keys.some((k) => k.kid === kid(before)), 'the old key is still published');
  for (const token of [before, after]) {
    const res = await fetch(`${server.url}/admin/api/users`, { headers: { authorization: `Bearer ${token}` } });
    t.is(res.status, 200);
  }
});
