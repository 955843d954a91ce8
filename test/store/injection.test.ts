// Operator-like values ({"$ne": null} and friends) through every field that reaches a store query: each is
// refused or treated as a plain value, never as an operator, and never a server error. Runs on both engines.
import test from 'ava';
import { startServer } from '../helpers/harness.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { Browser, csrfOf, tokenRequest } from '../helpers/oauth.ts';
import { api, seedSocial, userApiToken, TOKEN_EXCHANGE } from '../helpers/social.ts';
import { ADMIN_TOOL, WEB } from '../helpers/fixtures.ts';

const HOSTILE = [{ $ne: null }, { $gt: '' }, { $regex: '.*' }, { $where: 'true' }, ['$ne', null], 'x'.repeat(10_000), "'; DROP TABLE doc_accounts; --"];

test('hostile values in API bodies, paths, forms and token requests', async (t) => {
  const receiver = await new WebhookReceiver().start();
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1' } });
  t.teardown(async () => { await server.stop(); await receiver.stop(); });
  await seedSocial(server, receiver);
  const alice = await userApiToken(server);
  const adminToken = (await tokenRequest(server, { grant_type: 'client_credentials', client_id: ADMIN_TOOL.client_id, client_secret: ADMIN_TOOL.client_secret, scope: 'admin' })).body.access_token;
  const adminCall = (method: string, path: string, body: unknown) => fetch(`${server.url}/admin/api${path}`, {
    method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });

  for (const value of HOSTILE) {
    const label = JSON.stringify(value).slice(0, 40);
    const responses = [
      await api(server, 'POST', '/groups/hiking/apps', alice, { client_id: value, actions: ['messages:post'] }),
      await api(server, 'POST', '/groups/hiking/apps', alice, { client_id: 'poster', actions: value }),
      await api(server, 'POST', '/groups/hiking/messages', alice, { text: value }),
      await api(server, 'GET', `/groups/${encodeURIComponent(JSON.stringify(value))}/messages`, alice),
      await api(server, 'DELETE', `/groups/hiking/apps/${encodeURIComponent(JSON.stringify(value))}`, alice),
    ];
    for (const res of responses) {
      t.true(res.status >= 400 && res.status < 500 || (typeof value === 'string' && res.status === 201), `${label}: ${res.status}`);
      if (res.status >= 400) t.is(res.type, 'application/problem+json');
    }
    for (const [path, body] of [['/users', { username: value, password: 'long-enough-password' }], ['/groups', { id: value, members: [] }], ['/groups', { id: 'g', members: [value] }], ['/clients', { client_id: value, redirect_uris: ['https://a.example/cb'] }], ['/hosts', { id: value, kind: 'jwt' }]] as const) {
      const res = await adminCall('POST', path, body);
      t.true(res.status >= 400 && res.status < 500, `admin ${path} ${label}: ${res.status}`);
    }
    const exchange = await tokenRequest(server, { grant_type: TOKEN_EXCHANGE, client_id: 'poster', client_secret: 'poster-secret-0123456789-0123456789', subject_token_type: 'urn:plaza:token-type:action-ticket', subject_token: JSON.stringify(value) });
    t.is(exchange.body.error, 'invalid_grant', label);
  }

  // Bracketed form fields become nested objects in some parsers: a login must not turn into a query operator.
  const browser = new Browser();
  let res = await browser.fetch(`${server.url}/auth?${new URLSearchParams({ client_id: WEB.client_id, response_type: 'code', redirect_uri: 'https://app.example/cb', scope: 'openid', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' })}`);
  const interaction = new URL(res.headers.get('location')!, server.url).href;
  const page = await (await browser.fetch(interaction)).text();
  res = await browser.fetch(`${interaction}/login`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `_csrf=${encodeURIComponent(csrfOf(page))}&username[$ne]=x&password[$ne]=x`,
  });
  t.is(res.status, 401, 'no one is signed in by an operator');
  t.deepEqual(server.serverErrors, []);
});
