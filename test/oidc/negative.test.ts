// The negative cases the OpenID conformance suite runs, and the races a one-time artifact must survive.
import anyTest, { type TestFn } from 'ava';
import { modelCollection } from '../../server/oidc/index.ts';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { Browser, authorize, pkce, tokenRequest } from '../helpers/oauth.ts';
import { codeFor, codeRequest, redeemCode, seedBasics, OTHER_WEB, REDIRECT_URI, SPA, WEB } from '../helpers/fixtures.ts';

const test = anyTest as TestFn<{ server: TestServer }>;

test.before(async (t) => {
  // Store calls yield as a database server's would, so parallel requests really race between read and consume.
  t.context.server = await startServer({ latency: true });
  await seedBasics(t.context.server);
});
test.after.always(async (t) => { await t.context.server.stop(); });
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

const redeem = redeemCode;

const userinfoStatus = async (server: TestServer, accessToken: string) =>
  (await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status;

test('reusing an authorization code fails and revokes the tokens of the first use', async (t) => {
  const { server } = t.context;
  const { code, verifier } = await codeFor(server);
  const first = await redeem(server, code, verifier);
  t.is(first.status, 200);
  t.is(await userinfoStatus(server, first.body.access_token), 200);
  const second = await redeem(server, code, verifier);
  t.is(second.status, 400);
  t.is(second.body.error, 'invalid_grant');
  t.is(await userinfoStatus(server, first.body.access_token), 401);
  const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: WEB.client_id, client_secret: WEB.client_secret });
  t.is(refresh.body.error, 'invalid_grant');
});

const PARALLEL = 8;

function exactlyOne(t: { is: (a: unknown, b: unknown, m?: string) => void }, results: { status: number; body: Record<string, unknown> }[]) {
  t.is(results.filter((r) => r.status === 200).length, 1, 'one token response');
  t.is(results.filter((r) => r.status === 400 && r.body.error === 'invalid_grant').length, results.length - 1, 'the rest invalid_grant');
}

test('parallel redemptions of one authorization code: exactly one token response', async (t) => {
  const { server } = t.context;
  for (let round = 0; round < 3; round += 1) {
    const { code, verifier } = await codeFor(server);
    exactlyOne(t, await Promise.all(Array.from({ length: PARALLEL }, () => redeem(server, code, verifier))));
  }
});

test('parallel uses of one rotating refresh token: exactly one token response', async (t) => {
  const { server } = t.context;
  for (let round = 0; round < 3; round += 1) {
    const { code, verifier } = await codeFor(server, SPA);
    const tokens = await redeem(server, code, verifier, SPA);
    const use = () => tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: SPA.client_id });
    exactlyOne(t, await Promise.all(Array.from({ length: PARALLEL }, use)));
  }
});

test('an unregistered or mismatched redirect_uri gets an error page, never a redirect', async (t) => {
  const { server } = t.context;
  for (const redirect of ['https://evil.example/cb', `${REDIRECT_URI}/extra`, 'https://app.example/cb?x=1']) {
    const res = await fetch(`${server.url}/auth?${new URLSearchParams(codeRequest(WEB, pkce().challenge, { redirect_uri: redirect }))}`, { redirect: 'manual' });
    t.is(res.status, 400);
    t.is(res.headers.get('location'), null);
    t.regex(res.headers.get('content-type')!, /text\/html/);
    t.regex(await res.text(), /redirect_uri did not match any of the client&#39;s registered redirect_uris/);
  }
});

test('PKCE: missing challenge (and no nonce), plain method, missing or wrong verifier all fail', async (t) => {
  const { server } = t.context;
  const params = codeRequest(WEB, pkce().challenge);
  const { code_challenge: _c, code_challenge_method: _m, nonce: _n, ...noPkce } = params;
  const missing = await authorize(server, new Browser(), noPkce);
  t.is(missing.callback.searchParams.get('error'), 'invalid_request');
  t.regex(missing.callback.searchParams.get('error_description')!, /requires PKCE/);

  const plain = await authorize(server, new Browser(), { ...params, code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' });
  t.is(plain.callback.searchParams.get('error'), 'invalid_request');

  const { code, verifier } = await codeFor(server);
  const noVerifier = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: WEB.client_id, client_secret: WEB.client_secret });
  t.is(noVerifier.body.error, 'invalid_grant');
  const wrong = await redeem(server, code, `${verifier.slice(0, -2)}xx`);
  t.is(wrong.body.error, 'invalid_grant');
  const plainVerifier = await codeFor(server);
  t.is((await redeem(server, plainVerifier.code, 'a'.repeat(43))).body.error, 'invalid_grant');
});

test('response_type=token is refused', async (t) => {
  const { server } = t.context;
  const res = await fetch(`${server.url}/auth?${new URLSearchParams(codeRequest(WEB, pkce().challenge, { response_type: 'token' }))}`, { redirect: 'manual' });
  t.is(res.status, 303);
  const location = new URL(res.headers.get('location')!.replace('#', '?'));
  t.is(location.searchParams.get('error'), 'unsupported_response_type');
});

async function push(server: TestServer, client: { client_id: string; client_secret: string }) {
  const res = await fetch(`${server.url}/request`, {
    method: 'POST', body: new URLSearchParams({ ...codeRequest(client, pkce().challenge), client_secret: client.client_secret }),
  });
  return (await res.json() as { request_uri: string }).request_uri;
}

test('PAR: a request_uri cannot be reused, used after expiry, or used by another client', async (t) => {
  const { server } = t.context;
  const requestUri = await push(server, WEB);
  await authorize(server, new Browser(), { client_id: WEB.client_id, request_uri: requestUri }, { redirectUri: REDIRECT_URI });
  const reuse = await fetch(`${server.url}/auth?${new URLSearchParams({ client_id: WEB.client_id, request_uri: requestUri })}`, { redirect: 'manual' });
  t.is(reuse.status, 303);
  t.is(new URL(reuse.headers.get('location')!).searchParams.get('error'), 'invalid_request_uri');

  const stolen = await push(server, WEB);
  const byOther = await fetch(`${server.url}/auth?${new URLSearchParams({ client_id: OTHER_WEB.client_id, request_uri: stolen })}`, { redirect: 'manual' });
  // oidc-provider treats a pushed request as a request object bound to its client.
  t.is(new URL(byOther.headers.get('location')!).searchParams.get('error'), 'invalid_request_object');

  const expiring = await push(server, WEB);
  const id = expiring.split(':').pop()!;
  const pars = modelCollection(server.plaza.store, 'PushedAuthorizationRequest');
  t.truthy(await pars.update(id, { expiresAt: Date.now() - 1 }));
  const expired = await fetch(`${server.url}/auth?${new URLSearchParams({ client_id: WEB.client_id, request_uri: expiring })}`, { redirect: 'manual' });
  t.is(new URL(expired.headers.get('location')!).searchParams.get('error'), 'invalid_request_uri');
});

test('a refresh token only works for the client it was issued to', async (t) => {
  const { server } = t.context;
  const { code, verifier } = await codeFor(server);
  const tokens = await redeem(server, code, verifier);
  const res = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: OTHER_WEB.client_id, client_secret: OTHER_WEB.client_secret });
  t.is(res.status, 400);
  t.is(res.body.error, 'invalid_grant');
  const own = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: WEB.client_id, client_secret: WEB.client_secret });
  t.is(own.status, 200);
});

test('bad token requests get OAuth errors, never a server error', async (t) => {
  const { server } = t.context;
  const cases: [Record<string, string>, string][] = [
    [{ grant_type: 'password', username: 'alice', password: 'x', client_id: WEB.client_id, client_secret: WEB.client_secret }, 'unsupported_grant_type'],
    [{ grant_type: 'authorization_code', code: 'nope', code_verifier: 'a'.repeat(43), redirect_uri: REDIRECT_URI, client_id: WEB.client_id, client_secret: WEB.client_secret }, 'invalid_grant'],
    [{ grant_type: 'refresh_token', refresh_token: 'x'.repeat(5000), client_id: WEB.client_id, client_secret: WEB.client_secret }, 'invalid_grant'],
    [{ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x' }, 'invalid_client'],
    [{ client_id: WEB.client_id, client_secret: WEB.client_secret }, 'invalid_request'],
  ];
  for (const [body, error] of cases) {
    const res = await tokenRequest(server, body);
    t.true(res.status === 400 || res.status === 401, `${error}: ${res.status}`);
    t.is(res.body.error, error);
    t.is(typeof res.body.error_description, 'string');
  }
});
