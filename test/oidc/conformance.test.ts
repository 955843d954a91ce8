// What the OpenID conformance suite found: the basic plan's requests without PKCE, POST at the authorization and
// logout endpoints, the profile and email claims, the claims parameter, acr, and FAPI 2.0 client assertions.
import { randomUUID } from 'node:crypto';
import anyTest, { type TestFn } from 'ava';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { Browser, authorize, pkce } from '../helpers/oauth.ts';
import { codeFor, codeRequest, redeemCode, seedBasics, REDIRECT_URI, SPA, WEB } from '../helpers/fixtures.ts';

const test = anyTest as TestFn<{ server: TestServer; key: CryptoKey }>;

const STRICT = { ...WEB, client_id: 'strict', client_secret: 'strict-secret-0123456789-0123456', plaza_require_pkce: true };
const CAROL = { username: 'carol', password: 'carol-password-1', name: 'Carol Example', email: 'carol@example.com' };
const KID = 'fapi-key-1';

test.before(async (t) => {
  const server = await startServer();
  await seedBasics(server);
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwks = { keys: [{ ...await exportJWK(publicKey), kid: KID, alg: 'ES256', use: 'sig' }] };
  const keyClient = (client_id: string, extra: Record<string, unknown> = {}) => ({
    client_id, redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code'], response_types: ['code'],
    token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks, ...extra,
  });
  await server.plaza.admin.seed({ users: [CAROL], clients: [STRICT, keyClient('fapi', { plaza_fapi: '2.0' }), keyClient('keyed')] });
  t.context = { server, key: privateKey };
});
test.after.always(async (t) => { await t.context.server.stop(); });
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

/** An authorization request as the basic certification plan sends it: no code_challenge. */
function withoutPkce(client: { client_id: string }, extra: Record<string, string> = {}): Record<string, string> {
  const { code_challenge: _c, code_challenge_method: _m, ...params } = codeRequest(client, pkce().challenge, extra);
  return params;
}

async function refusedForPkce(t: { is: (a: unknown, b: unknown) => void; regex: (a: string, b: RegExp) => void }, server: TestServer, params: Record<string, string>) {
  const { callback } = await authorize(server, new Browser(), params);
  t.is(callback.searchParams.get('error'), 'invalid_request');
  t.regex(callback.searchParams.get('error_description')!, /requires PKCE/);
}

test('a confidential client protecting its code with a nonce instead of PKCE gets a code and tokens', async (t) => {
  const { server } = t.context;
  const { callback } = await authorize(server, new Browser(), withoutPkce(WEB));
  const code = callback.searchParams.get('code')!;
  t.truthy(code);
  const tokens = await redeemCode(server, code, undefined);
  t.is(tokens.status, 200);
  t.is(decodeJwt(tokens.body.id_token).nonce, 'n-1');

  const again = await authorize(server, new Browser(), withoutPkce(WEB));
  const downgrade = await redeemCode(server, again.callback.searchParams.get('code')!, pkce().verifier);
  t.is(downgrade.body.error, 'invalid_grant', 'a code_verifier for a code issued without a challenge is refused');
});

test('without PKCE: a request without nonce, an OAuth-only request, a public client and a plaza_require_pkce client are refused', async (t) => {
  const { server } = t.context;
  const { nonce: _n, ...noNonce } = withoutPkce(WEB);
  await refusedForPkce(t, server, noNonce);
  await refusedForPkce(t, server, withoutPkce(WEB, { scope: 'messages:read' }));
  await refusedForPkce(t, server, withoutPkce(SPA));
  await refusedForPkce(t, server, withoutPkce(STRICT));
  const { code, verifier } = await codeFor(server, STRICT);
  t.is((await redeemCode(server, code, verifier, STRICT)).status, 200, 'with PKCE the strict client works');
});

test('client flags are validated at registration', async (t) => {
  const { admin } = t.context.server.plaza;
  const base = { redirect_uris: [REDIRECT_URI] };
  await t.throwsAsync(admin.createClient({ ...base, plaza_require_pkce: 'yes' }), { message: /plaza_require_pkce must be a boolean/ });
  await t.throwsAsync(admin.createClient({ ...base, plaza_fapi: '1.0' }), { message: /plaza_fapi must be one of: 2.0/ });
});

test('prompt=none without a session and without PKCE answers login_required at the redirect URI', async (t) => {
  const { callback } = await authorize(t.context.server, new Browser(), withoutPkce(WEB, { prompt: 'none' }));
  t.is(callback.searchParams.get('error'), 'login_required');
});

test('the authorization and logout endpoints accept POST', async (t) => {
  const { server } = t.context;
  const browser = new Browser();
  const { verifier, challenge } = pkce();
  const { callback } = await authorize(server, browser, codeRequest(WEB, challenge), { post: true });
  t.is((await redeemCode(server, callback.searchParams.get('code')!, verifier)).status, 200);
  const silent = await authorize(server, browser, codeRequest(WEB, pkce().challenge, { prompt: 'none' }), { post: true });
  t.truthy(silent.callback.searchParams.get('code'), 'the session is used for a POSTed request');

  const logout = await browser.postForm(`${server.url}/session/end`, { client_id: WEB.client_id });
  t.is(logout.status, 303);
  const confirm = await browser.fetch(new URL(logout.headers.get('location')!, server.url).href);
  t.regex(await confirm.text(), /Do you want to sign out/);

  const json = await fetch(`${server.url}/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.is(json.status, 400);
  t.regex(await json.text(), /invalid_request/);
});

test('profile and email claims in userinfo, and in the id_token when asked with the claims parameter', async (t) => {
  const { server } = t.context;
  const claims = JSON.stringify({ id_token: { email: null, updated_at: null } });
  const { code, verifier } = await codeFor(server, WEB, { scope: 'openid profile email', claims }, { username: 'carol', password: CAROL.password });
  const tokens = await redeemCode(server, code, verifier);
  const idToken = decodeJwt(tokens.body.id_token);
  t.is(idToken.email, CAROL.email);
  t.is(typeof idToken.updated_at, 'number');
  const userinfo = await (await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } })).json() as Record<string, unknown>;
  t.like(userinfo, { name: CAROL.name, preferred_username: 'carol', email: CAROL.email, email_verified: false });
  t.true(Math.abs(Number(userinfo.updated_at) - Date.now() / 1000) < 600);
});

test('the claims parameter asks for userinfo claims beyond the scopes', async (t) => {
  const { server } = t.context;
  const claims = JSON.stringify({ userinfo: { email: { essential: true } } });
  const { code, verifier } = await codeFor(server, WEB, { scope: 'openid', claims }, { username: 'carol', password: CAROL.password });
  const tokens = await redeemCode(server, code, verifier);
  const userinfo = await (await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } })).json() as Record<string, unknown>;
  t.is(userinfo.email, CAROL.email);
  t.is(userinfo.name, undefined, 'no profile scope, no profile claims');
});

test('acr_values: the id_token says how the user signed in', async (t) => {
  const { server } = t.context;
  const discovery = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
  t.deepEqual(discovery.acr_values_supported, ['urn:plaza:acr:password']);
  t.true(discovery.claims_parameter_supported);
  const { code, verifier } = await codeFor(server, WEB, { acr_values: '1 2' });
  const tokens = await redeemCode(server, code, verifier);
  t.is(decodeJwt(tokens.body.id_token).acr, 'urn:plaza:acr:password');
});

/** A private_key_jwt client assertion at the PAR endpoint, with the given audience. */
async function pushWithAssertion(t: { context: { server: TestServer; key: CryptoKey } }, clientId: string, aud: string | string[]) {
  const { server, key } = t.context;
  const assertion = await new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: KID })
    .setIssuer(clientId).setSubject(clientId).setAudience(aud).setIssuedAt().setNotBefore('0s').setExpirationTime('60s')
    .sign(key);
  const res = await fetch(`${server.url}/request`, {
    method: 'POST',
    body: new URLSearchParams({
      ...codeRequest({ client_id: clientId }, pkce().challenge),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
    }),
  });
  return { status: res.status, body: await res.json() as Record<string, string> };
}

test('FAPI 2.0 clients: a client assertion at PAR must name the issuer alone; other clients keep the wider audience', async (t) => {
  const { url } = t.context.server;
  for (const aud of [`${url}/request`, `${url}/token`, [url], [url, `${url}/request`]]) {
    const refused = await pushWithAssertion(t, 'fapi', aud);
    t.is(refused.status, 401, JSON.stringify(aud));
    t.is(refused.body.error, 'invalid_client');
  }
  t.is((await pushWithAssertion(t, 'fapi', url)).status, 201);
  t.is((await pushWithAssertion(t, 'keyed', `${url}/request`)).status, 201);
  t.is((await pushWithAssertion(t, 'keyed', [url, `${url}/token`])).status, 201);
});
