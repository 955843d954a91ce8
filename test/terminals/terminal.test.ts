// Terminal binding over HTTP: a terminal-bound client proves one key over both paths (dpop_jkt on the front channel, DPoP
// proofs on the back channel) and one PKCE secret; its tokens work only with that key; users revoke terminals.
import anyTest, { type TestFn } from 'ava';
import { decodeJwt } from 'jose';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { Browser, athOf, csrfOf, dpopKey, dpopProof, tokenRequest, type DpopKey } from '../helpers/oauth.ts';
import { codeFor, redeemCode, seedBasics, ADMIN_TOOL, ALICE, PHONE, REDIRECT_URI } from '../helpers/fixtures.ts';
import { ALL_API_SCOPES } from '../helpers/social.ts';

const test = anyTest as TestFn<{ server: TestServer }>;

/** A confidential client registered as terminal-bound. */
const DESKTOP = {
  client_id: 'desktop', client_secret: 'desktop-secret-0123456789-01234567', client_name: 'Plaza Desktop', plaza_terminal_bound: true,
  token_endpoint_auth_method: 'client_secret_post', redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
};

test.before(async (t) => {
  t.context.server = await startServer();
  await seedBasics(t.context.server);
  await t.context.server.plaza.admin.seed({ clients: [PHONE, DESKTOP], groups: [{ id: 'hiking', name: 'Weekend Hiking', members: ['alice'] }] });
});
test.after.always(async (t) => { await t.context.server.stop(); });
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

/** Signs in on the phone's terminal key; returns the code. */
async function phoneCode(server: TestServer, key: DpopKey | undefined, browser = new Browser()) {
  const extra: Record<string, string> = { scope: ALL_API_SCOPES, resource: `${server.url}/api` };
  if (key) extra.dpop_jkt = key.jkt;
  return codeFor(server, PHONE, extra, { browser });
}

function redeem(server: TestServer, code: string, verifier: string, key?: DpopKey) {
  return (async () => redeemCode(server, code, verifier, PHONE, { resource: `${server.url}/api` },
    key ? { dpop: await dpopProof(key, 'POST', `${server.url}/token`) } : {}))();
}

async function phoneTokens(server: TestServer, key: DpopKey, browser?: Browser) {
  const { code, verifier } = await phoneCode(server, key, browser);
  const res = await redeem(server, code, verifier, key);
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return res.body;
}

async function callMe(server: TestServer, token: string, key?: DpopKey, options: { scheme?: string; proof?: string } = {}) {
  const url = `${server.url}/api/me`;
  const headers: Record<string, string> = { authorization: `${options.scheme ?? (key ? 'DPoP' : 'Bearer')} ${token}` };
  if (options.proof) headers.dpop = options.proof;
  else if (key) headers.dpop = await dpopProof(key, 'GET', url, { ath: athOf(token) });
  return fetch(url, { headers });
}

test('without dpop_jkt on the front channel, a terminal-bound client is refused', async (t) => {
  const { server } = t.context;
  const { callback } = await phoneCode(server, undefined);
  t.is(callback.searchParams.get('error'), 'invalid_request');
  t.regex(callback.searchParams.get('error_description')!, /dpop_jkt is required/);
  const res = await fetch(`${server.url}/request`, { method: 'POST', body: new URLSearchParams({
    client_id: PHONE.client_id, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256',
  }) });
  t.is(res.status, 400);
  const body = await res.json() as { error: string; error_description: string };
  t.is(body.error, 'invalid_request');
  t.regex(body.error_description, /dpop_jkt is required/);
});

test('the back channel must prove the same key and the same PKCE secret', async (t) => {
  const { server } = t.context;
  const key = await dpopKey();
  const noProof = await phoneCode(server, key);
  t.is((await redeem(server, noProof.code, noProof.verifier)).body.error, 'invalid_grant');
  const otherKey = await phoneCode(server, key);
  t.is((await redeem(server, otherKey.code, otherKey.verifier, await dpopKey())).body.error, 'invalid_grant');
  const wrongVerifier = await phoneCode(server, key);
  t.is((await redeem(server, wrongVerifier.code, `${wrongVerifier.verifier}x`, key)).body.error, 'invalid_grant');

  const ok = await phoneCode(server, key);
  const tokens = await redeem(server, ok.code, ok.verifier, key);
  t.is(tokens.status, 200);
  t.is(tokens.body.token_type, 'DPoP');
  t.deepEqual(decodeJwt(tokens.body.access_token).cnf, { jkt: key.jkt });

  t.is((await callMe(server, tokens.body.access_token, key)).status, 200);
  t.is((await callMe(server, tokens.body.access_token)).status, 401, 'as Bearer');
  t.is((await callMe(server, tokens.body.access_token, await dpopKey())).status, 401, 'with another key');

  const refresh = (k: DpopKey) => (async () => tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: PHONE.client_id },
    { dpop: await dpopProof(k, 'POST', `${server.url}/token`) }))();
  t.is((await refresh(await dpopKey())).body.error, 'invalid_grant', 'the refresh token is bound too');
  const refreshed = await refresh(key);
  t.is(refreshed.status, 200);
  t.is(refreshed.body.token_type, 'DPoP');
});

test('a confidential terminal-bound client\'s refresh token is bound to its terminal key', async (t) => {
  const { server } = t.context;
  const key = await dpopKey();
  const resource = `${server.url}/api`;
  const { code, verifier } = await codeFor(server, DESKTOP, { scope: 'groups:read', resource, dpop_jkt: key.jkt });
  const tokens = await redeemCode(server, code, verifier, DESKTOP, { resource }, { dpop: await dpopProof(key, 'POST', `${server.url}/token`) });
  t.is(tokens.status, 200, JSON.stringify(tokens.body));
  const refresh = async (k?: DpopKey) => tokenRequest(server, {
    grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: DESKTOP.client_id, client_secret: DESKTOP.client_secret,
  }, k ? { dpop: await dpopProof(k, 'POST', `${server.url}/token`) } : {});

  const otherKey = await refresh(await dpopKey());
  t.is(otherKey.status, 400);
  t.is(otherKey.body.error, 'invalid_grant', 'another key');
  t.is((await refresh()).status, 400, 'no proof');
  const refreshed = await refresh(key);
  t.is(refreshed.status, 200);
  t.deepEqual(decodeJwt(refreshed.body.access_token).cnf, { jkt: key.jkt });
  t.is((await refresh(await dpopKey())).body.error, 'invalid_grant', 'still bound after a refresh');
});

test('My devices lists the terminal and revoking it kills everything bound to it', async (t) => {
  const { server } = t.context;
  const key = await dpopKey();
  const browser = new Browser();
  const tokens = await phoneTokens(server, key, browser);
  const page = await (await browser.fetch(`${server.url}/account/devices`)).text();
  // Other tests sign alice in on other terminals too: find this one by its key.
  const entry = page.split('<li>').find((chunk) => chunk.includes(key.jkt.slice(0, 10)))!;
  t.regex(entry, /<h2>Plaza Phone<\/h2>/);
  t.regex(entry, /node|undici/i, 'the user agent of the browser that authorized');
  const id = /action="\/account\/devices\/([^/]+)\/revoke"/.exec(entry)![1];

  t.is((await browser.postForm(`${server.url}/account/devices/${id}/revoke`, { _csrf: 'forged' })).status, 403);
  const revoked = await browser.postForm(`${server.url}/account/devices/${id}/revoke`, { _csrf: csrfOf(page) });
  t.is(revoked.status, 303);
  t.is((await callMe(server, tokens.access_token, key)).status, 401);
  const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: PHONE.client_id },
    { dpop: await dpopProof(key, 'POST', `${server.url}/token`) });
  t.is(refresh.body.error, 'invalid_grant');
  t.false((await (await browser.fetch(`${server.url}/account/devices`)).text()).includes(key.jkt.slice(0, 10)));
});

test('the admin API lists and revokes a user\'s terminals', async (t) => {
  const { server } = t.context;
  const key = await dpopKey();
  const tokens = await phoneTokens(server, key);
  const admin = (await tokenRequest(server, { grant_type: 'client_credentials', client_id: ADMIN_TOOL.client_id, client_secret: ADMIN_TOOL.client_secret, scope: 'admin' })).body.access_token;
  const headers = { authorization: `Bearer ${admin}` };
  const list = await (await fetch(`${server.url}/admin/api/users/${ALICE.username}/terminals`, { headers })).json() as { id: string; jkt: string; app_name: string }[];
  const mine = list.find((x) => x.jkt === key.jkt)!;
  t.is(mine.app_name, 'Plaza Phone');
  t.is((await fetch(`${server.url}/admin/api/terminals/${mine.id}`, { method: 'DELETE', headers })).status, 204);
  t.is((await callMe(server, tokens.access_token, key)).status, 401);
  t.is((await fetch(`${server.url}/admin/api/terminals/${mine.id}`, { method: 'DELETE', headers })).status, 404);
  t.is((await fetch(`${server.url}/admin/api/users/nobody/terminals`, { headers })).status, 404);
});
