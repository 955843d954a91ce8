// Full OIDC flows over real HTTP, through the real login and consent forms.
import anyTest, { type TestFn } from 'ava';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { Browser, authorize, dpopKey, dpopProof, pkce, tokenRequest, athOf } from '../helpers/oauth.ts';
import { codeFor, codeRequest, redeemCode, seedBasics, OTHER_WEB, REDIRECT_URI, SERVICE, SPA, WEB } from '../helpers/fixtures.ts';

const test = anyTest as TestFn<{ server: TestServer }>;

test.before(async (t) => {
  t.context.server = await startServer();
  await seedBasics(t.context.server);
});
test.after.always(async (t) => { await t.context.server.stop(); });
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

const exchange = (server: TestServer, code: string, verifier: string, extra: Record<string, string> = {}) => redeemCode(server, code, verifier, WEB, extra);

test('authorization code + PKCE through the login and consent pages', async (t) => {
  const { server } = t.context;
  const { code, verifier, callback, pages } = await codeFor(server);
  t.regex(pages[0], /Web App<\/strong> asks you to sign in/);
  t.regex(pages[1], /See your name and username/);
  t.regex(pages[1], /Stay connected when you are not using it/);
  t.is(callback.searchParams.get('state'), 'st-1');
  t.is(callback.searchParams.get('iss'), server.url, 'RFC 9207 iss in the authorization response');
  const res = await exchange(server, code, verifier);
  t.is(res.status, 200);
  t.is(res.body.token_type, 'Bearer');
  t.truthy(res.body.refresh_token);
  const idToken = decodeJwt(res.body.id_token);
  t.is(idToken.iss, server.url);
  t.is(idToken.aud, WEB.client_id);
  t.is(idToken.nonce, 'n-1');
  t.is(decodeProtectedHeader(res.body.id_token).alg, 'ES256');

  const userinfo = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${res.body.access_token}` } });
  t.is(userinfo.status, 200);
  const claims = await userinfo.json() as Record<string, string>;
  t.is(claims.sub, idToken.sub as string);
  t.is(claims.preferred_username, 'alice');
  t.is(claims.name, 'Alice Example');
});

test('a second authorization for an already granted client needs no consent page', async (t) => {
  const { server } = t.context;
  const browser = new Browser();
  const first = pkce();
  await authorize(server, browser, codeRequest(WEB, first.challenge, { prompt: 'login' }));
  const again = pkce();
  const { pages, callback } = await authorize(server, browser, codeRequest(WEB, again.challenge, { prompt: '', scope: 'openid profile' }));
  t.is(pages.length, 0);
  t.truthy(callback.searchParams.get('code'));
});

test('prompt=none without a session answers login_required at the redirect URI', async (t) => {
  const { server } = t.context;
  const { challenge } = pkce();
  const { callback } = await authorize(server, new Browser(), codeRequest(WEB, challenge, { prompt: 'none' }));
  t.is(callback.searchParams.get('error'), 'login_required');
});

test('denying consent answers access_denied', async (t) => {
  const { server } = t.context;
  const { challenge } = pkce();
  const { callback } = await authorize(server, new Browser(), codeRequest(WEB, challenge), { consent: 'deny' });
  t.is(callback.searchParams.get('error'), 'access_denied');
});

test('an access token for the Plaza API is an RFC 9068 JWT', async (t) => {
  const { server } = t.context;
  const { code, verifier } = await codeFor(server, WEB, { scope: 'openid messages:read', resource: `${server.url}/api` });
  const res = await exchange(server, code, verifier, { resource: `${server.url}/api` });
  t.is(res.status, 200);
  t.is(decodeProtectedHeader(res.body.access_token).typ, 'at+jwt');
  const at = decodeJwt(res.body.access_token);
  t.is(at.aud, `${server.url}/api`);
  t.is(at.scope, 'messages:read');
  t.is(at.client_id, WEB.client_id);
});

test('refresh tokens of a public client rotate, and reusing a rotated one revokes the grant', async (t) => {
  const { server } = t.context;
  const { code, verifier } = await codeFor(server, SPA);
  const first = await redeemCode(server, code, verifier, SPA);
  t.is(first.status, 200);
  const second = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: SPA.client_id });
  t.is(second.status, 200);
  t.not(second.body.refresh_token, first.body.refresh_token);
  const reuse = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: SPA.client_id });
  t.is(reuse.status, 400);
  t.is(reuse.body.error, 'invalid_grant');
  const afterReuse = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: second.body.refresh_token, client_id: SPA.client_id });
  t.is(afterReuse.body.error, 'invalid_grant', 'the newest refresh token died with the grant');
});

test('client credentials give a JWT access token for the Plaza API', async (t) => {
  const { server } = t.context;
  const res = await tokenRequest(server, { grant_type: 'client_credentials', client_id: SERVICE.client_id, client_secret: SERVICE.client_secret, scope: 'messages:read' });
  t.is(res.status, 200);
  t.is(decodeProtectedHeader(res.body.access_token).typ, 'at+jwt');
  const at = decodeJwt(res.body.access_token);
  t.is(at.aud, `${server.url}/api`);
  t.is(at.scope, 'messages:read');
  const wrongSecret = await tokenRequest(server, { grant_type: 'client_credentials', client_id: SERVICE.client_id, client_secret: 'nope' });
  t.is(wrongSecret.status, 401);
  t.is(wrongSecret.body.error, 'invalid_client');
  const notAllowed = await tokenRequest(server, { grant_type: 'client_credentials', client_id: SERVICE.client_id, client_secret: SERVICE.client_secret, scope: 'messages:post' });
  t.is(notAllowed.body.error, 'invalid_scope');
});

test('introspection and revocation of refresh and access tokens', async (t) => {
  const { server } = t.context;
  const { code, verifier } = await codeFor(server);
  const tokens = await exchange(server, code, verifier);
  const auth = { client_id: WEB.client_id, client_secret: WEB.client_secret };
  const introspect = async (token: string) => {
    const res = await fetch(`${server.url}/token/introspection`, { method: 'POST', body: new URLSearchParams({ token, ...auth }) });
    return res.json() as Promise<Record<string, unknown>>;
  };
  const rt = await introspect(tokens.body.refresh_token);
  t.is(rt.active, true);
  t.is(rt.client_id, WEB.client_id);
  t.is((await introspect(tokens.body.access_token)).active, true);

  const revoke = await fetch(`${server.url}/token/revocation`, { method: 'POST', body: new URLSearchParams({ token: tokens.body.access_token, ...auth }) });
  t.is(revoke.status, 200);
  t.is((await introspect(tokens.body.access_token)).active, false);
  const userinfo = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
  t.is(userinfo.status, 401);

  await fetch(`${server.url}/token/revocation`, { method: 'POST', body: new URLSearchParams({ token: tokens.body.refresh_token, ...auth }) });
  t.is((await introspect(tokens.body.refresh_token)).active, false);
  t.is((await introspect('not-a-token')).active, false);
  const fresh = await codeFor(server);
  const webToken = (await exchange(server, fresh.code, fresh.verifier)).body.refresh_token;
  const other = await fetch(`${server.url}/token/introspection`, {
    method: 'POST', body: new URLSearchParams({ token: webToken, client_id: OTHER_WEB.client_id, client_secret: OTHER_WEB.client_secret }),
  });
  t.deepEqual(await other.json(), { active: false }, 'a client cannot introspect another client\'s token');
});

test('introspection of Plaza API JWTs: live from the grant, for the token\'s client and the API\'s resource servers', async (t) => {
  const { server } = t.context;
  const api = `${server.url}/api`;
  const resourceServer = {
    client_id: 'api-gateway', client_secret: 'gateway-secret-0123456789-012345', grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post', plaza_resource_server: [api],
  };
  await server.plaza.admin.seed({ clients: [resourceServer] });
  await t.throwsAsync(server.plaza.admin.createClient({ ...resourceServer, client_id: 'elsewhere', plaza_resource_server: ['https://elsewhere.example/api'] }),
    { message: /plaza_resource_server must list resource indicators of Plaza/ });
  const introspect = async (token: string, client: { client_id: string; client_secret: string }) => {
    const res = await fetch(`${server.url}/token/introspection`, { method: 'POST', body: new URLSearchParams({ token, ...client }) });
    t.is(res.status, 200);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const { code, verifier } = await codeFor(server, WEB, { scope: 'groups:read', resource: api });
  const tokens = (await exchange(server, code, verifier, { resource: api })).body;
  const web = { client_id: WEB.client_id, client_secret: WEB.client_secret };

  t.like(await introspect(tokens.access_token, web), { active: true, client_id: WEB.client_id, aud: api, scope: 'groups:read', token_type: 'Bearer', iss: server.url });
  t.like(await introspect(tokens.access_token, resourceServer), { active: true, client_id: WEB.client_id, sub: decodeJwt(tokens.access_token).sub });
  t.deepEqual(await introspect(tokens.access_token, { client_id: OTHER_WEB.client_id, client_secret: OTHER_WEB.client_secret }), { active: false });
  t.deepEqual(await introspect(`${tokens.access_token.slice(0, -4)}AAAA`, web), { active: false }, 'a bad signature');

  // Revoking the refresh token revokes its grant: the JWT is no longer active, at once.
  await fetch(`${server.url}/token/revocation`, { method: 'POST', body: new URLSearchParams({ token: tokens.refresh_token, ...web }) });
  t.deepEqual(await introspect(tokens.access_token, resourceServer), { active: false });

  // Revoking the JWT itself: inactive, and refused by the API.
  const service = await tokenRequest(server, { grant_type: 'client_credentials', client_id: SERVICE.client_id, client_secret: SERVICE.client_secret });
  const serviceAuth = { client_id: SERVICE.client_id, client_secret: SERVICE.client_secret };
  t.like(await introspect(service.body.access_token, serviceAuth), { active: true, sub: SERVICE.client_id });
  const other = await fetch(`${server.url}/token/revocation`, { method: 'POST', body: new URLSearchParams({ token: service.body.access_token, ...web }) });
  t.is(other.status, 400, 'another confidential client cannot revoke it');
  t.is((await other.json() as { error: string }).error, 'invalid_request');
  const revoked = await fetch(`${server.url}/token/revocation`, { method: 'POST', body: new URLSearchParams({ token: service.body.access_token, ...serviceAuth }) });
  t.is(revoked.status, 200);
  t.deepEqual(await introspect(service.body.access_token, serviceAuth), { active: false });
});

test('PAR: a pushed request is used once at the authorization endpoint', async (t) => {
  const { server } = t.context;
  const { verifier, challenge } = pkce();
  const par = await fetch(`${server.url}/request`, {
    method: 'POST',
    body: new URLSearchParams({ ...codeRequest(WEB, challenge), client_secret: WEB.client_secret }),
  });
  t.is(par.status, 201);
  const { request_uri, expires_in } = await par.json() as { request_uri: string; expires_in: number };
  t.true(expires_in > 0);
  const { callback } = await authorize(server, new Browser(), { client_id: WEB.client_id, request_uri }, { redirectUri: REDIRECT_URI });
  const res = await exchange(server, callback.searchParams.get('code')!, verifier);
  t.is(res.status, 200);
});

test('DPoP: tokens are bound to the key, and the refresh token too for public clients', async (t) => {
  const { server } = t.context;
  const key = await dpopKey();
  const { code, verifier } = await codeFor(server, SPA, { dpop_jkt: key.jkt });
  const tokenUrl = `${server.url}/token`;
  const res = await redeemCode(server, code, verifier, SPA, {}, { dpop: await dpopProof(key, 'POST', tokenUrl) });
  t.is(res.status, 200);
  t.is(res.body.token_type, 'DPoP');

  const userinfoUrl = `${server.url}/me`;
  const bound = await fetch(userinfoUrl, { headers: { authorization: `DPoP ${res.body.access_token}`, dpop: await dpopProof(key, 'GET', userinfoUrl, { ath: athOf(res.body.access_token) }) } });
  t.is(bound.status, 200);
  const asBearer = await fetch(userinfoUrl, { headers: { authorization: `Bearer ${res.body.access_token}` } });
  t.is(asBearer.status, 401);
  const otherKey = await dpopKey();
  const withOtherKey = await fetch(userinfoUrl, { headers: { authorization: `DPoP ${res.body.access_token}`, dpop: await dpopProof(otherKey, 'GET', userinfoUrl, { ath: athOf(res.body.access_token) }) } });
  t.is(withOtherKey.status, 401);

  const refreshWithOtherKey = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: res.body.refresh_token, client_id: SPA.client_id },
    { dpop: await dpopProof(otherKey, 'POST', tokenUrl) });
  t.is(refreshWithOtherKey.body.error, 'invalid_grant');
  const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: res.body.refresh_token, client_id: SPA.client_id },
    { dpop: await dpopProof(key, 'POST', tokenUrl) });
  t.is(refresh.status, 200);
  t.is(refresh.body.token_type, 'DPoP');
});

test('RP-initiated logout ends the session', async (t) => {
  const { server } = t.context;
  const browser = new Browser();
  const { challenge } = pkce();
  await authorize(server, browser, codeRequest(WEB, challenge));
  const confirm = await browser.fetch(`${server.url}/session/end?client_id=${WEB.client_id}`);
  t.is(confirm.status, 200);
  const html = await confirm.text();
  t.regex(html, /Do you want to sign out/);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1];
  const done = await browser.postForm(`${server.url}/session/end/confirm`, { xsrf, logout: 'yes' });
  t.is(done.status, 303);
  const after = await authorize(server, browser, codeRequest(WEB, pkce().challenge, { prompt: 'none' }));
  t.is(after.callback.searchParams.get('error'), 'login_required');
});
