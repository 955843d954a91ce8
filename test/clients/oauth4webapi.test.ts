// Plaza's flows driven by oauth4webapi 3 at its default settings (the low-level library openid-client is built on,
// which also runs in browsers). Under test/clients/ rather than mirroring server/: each flow crosses several capabilities.
import anyTest, { type TestFn } from 'ava';
import * as oauth from 'oauth4webapi';
import { decodeJwt } from 'jose';
import { Webhook } from 'standardwebhooks';
import { discoverPlaza, redeemHandoffAsPage, retryingDpopNonce, signIn, startLibraryPlaza, stopLibraryPlaza, type LibraryPlaza } from '../helpers/client_libraries.ts';
import { dpopKey } from '../helpers/oauth.ts';
import { PHONE, REDIRECT_URI, SERVICE, WEB } from '../helpers/fixtures.ts';
import { ACTION_TICKET, ALL_API_SCOPES, TOKEN_EXCHANGE } from '../helpers/social.ts';
import { encryptRequest, plazaEncryptionKey } from '../helpers/async_client.ts';

const test = anyTest as TestFn<LibraryPlaza & { as: oauth.AuthorizationServer }>;

test.before(async (t) => {
  const plaza = await startLibraryPlaza();
  t.context = { ...plaza, as: await discoverPlaza(plaza.server) };
});
test.after.always(async (t) => { await stopLibraryPlaza(t.context); });
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

/** The one non-default on every request: Plaza's test issuer is http on loopback. */
const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

interface App {
  client: oauth.Client;
  auth: oauth.ClientAuth;
}

const confidential = (id: string, secret: string): App => ({ client: { client_id: id }, auth: oauth.ClientSecretPost(secret) });

/** Authorization code + PKCE (pushed, with PAR) as the library builds and redeems it; alice signs in on the real pages. */
async function codeFlow(t: { context: { as: oauth.AuthorizationServer; server: LibraryPlaza['server'] } }, app: App, scope: string, options: { par?: boolean; DPoP?: oauth.DPoPHandle } = {}) {
  const { as, server } = t.context;
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const params = new URLSearchParams({
    client_id: app.client.client_id, response_type: 'code', redirect_uri: REDIRECT_URI, scope, state, nonce, prompt: 'consent',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const url = new URL(as.authorization_endpoint!);
  if (options.par) {
    const pushed = await retryingDpopNonce(async () => oauth.processPushedAuthorizationResponse(as, app.client,
      await oauth.pushedAuthorizationRequest(as, app.client, app.auth, params, { DPoP: options.DPoP, ...INSECURE })));
    url.search = new URLSearchParams({ client_id: app.client.client_id, request_uri: pushed.request_uri }).toString();
  } else {
    url.search = params.toString();
  }
  const callback = oauth.validateAuthResponse(as, app.client, await signIn(server, url), state);
  return retryingDpopNonce(async () => oauth.processAuthorizationCodeResponse(as, app.client,
    await oauth.authorizationCodeGrantRequest(as, app.client, app.auth, callback, REDIRECT_URI, verifier, { DPoP: options.DPoP, ...INSECURE }),
    { expectedNonce: nonce }));
}

function callApi(t: { context: LibraryPlaza }, token: string, method: string, path: string, body?: string, contentType = 'application/json', DPoP?: oauth.DPoPHandle) {
  const headers = new Headers(body === undefined ? {} : { 'content-type': contentType });
  return retryingDpopNonce(() => oauth.protectedResourceRequest(token, method, new URL(`${t.context.server.url}/api${path}`), headers, body ?? null, { DPoP, ...INSECURE }));
}

function refresh(t: { context: { as: oauth.AuthorizationServer } }, app: App, refreshToken: string, options: { scope?: string; DPoP?: oauth.DPoPHandle } = {}) {
  const { as } = t.context;
  return retryingDpopNonce(async () => oauth.processRefreshTokenResponse(as, app.client, await oauth.refreshTokenGrantRequest(as, app.client, app.auth, refreshToken, {
    DPoP: options.DPoP, additionalParameters: options.scope ? { scope: options.scope } : undefined, ...INSECURE,
  })));
}

async function exchange(t: { context: { as: oauth.AuthorizationServer } }, app: App, params: Record<string, string>, options: oauth.ProcessTokenResponseOptions = {}) {
  const { as } = t.context;
  return oauth.processGenericTokenEndpointResponse(as, app.client,
    await oauth.genericTokenEndpointRequest(as, app.client, app.auth, TOKEN_EXCHANGE, params, INSECURE), options);
}

test('code + PKCE for OIDC and API scopes, redeemed without resource: the token works at /api, the id_token has the profile', async (t) => {
  const tokens = await codeFlow(t, confidential(WEB.client_id, WEB.client_secret), 'openid profile groups:read messages:post');
  t.is(decodeJwt(tokens.access_token).aud, `${t.context.server.url}/api`);
  t.like(oauth.getValidatedIdTokenClaims(tokens), { preferred_username: 'alice', name: 'Alice Example' });
  t.is((await callApi(t, tokens.access_token, 'GET', '/groups')).status, 200);
  t.is((await callApi(t, tokens.access_token, 'POST', '/groups/hiking/messages', JSON.stringify({ text: 'hello from oauth4webapi' }))).status, 201);
});

test('refresh without resource gives the API token again; with only OIDC scopes, a userinfo token', async (t) => {
  const web = confidential(WEB.client_id, WEB.client_secret);
  const first = await codeFlow(t, web, 'openid profile offline_access groups:read');
  const refreshed = await refresh(t, web, first.refresh_token!);
  t.is((await callApi(t, refreshed.access_token, 'GET', '/groups')).status, 200);
  const forUserinfo = await refresh(t, web, first.refresh_token!, { scope: 'openid profile' });
  const sub = oauth.getValidatedIdTokenClaims(first)!.sub;
  const { as } = t.context;
  const userinfo = await oauth.processUserInfoResponse(as, web.client, sub, await oauth.userInfoRequest(as, web.client, forUserinfo.access_token, INSECURE));
  t.like(userinfo, { sub, preferred_username: 'alice' });
});

test('client credentials: a JWT for the API', async (t) => {
  const { as } = t.context;
  const service = confidential(SERVICE.client_id, SERVICE.client_secret);
  const tokens = await oauth.processClientCredentialsResponse(as, service.client,
    await oauth.clientCredentialsGrantRequest(as, service.client, service.auth, { scope: 'messages:read' }, INSECURE));
  t.like(decodeJwt(tokens.access_token), { aud: `${t.context.server.url}/api`, scope: 'messages:read', client_id: SERVICE.client_id });
});

test('PAR + DPoP on a terminal-bound client, with Plaza asking for nonces at PAR, the token endpoint and the API', async (t) => {
  const phone: App = { client: { client_id: PHONE.client_id }, auth: oauth.None() };
  const key = await dpopKey();
  const tokens = await codeFlow(t, phone, `openid offline_access ${ALL_API_SCOPES}`, { par: true, DPoP: oauth.DPoP(phone.client, key) });
  t.is(tokens.token_type, 'dpop');
  t.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: key.jkt });
  // A fresh handle knows no nonce: the API's use_dpop_nonce challenge is what makes the retry succeed.
  t.is((await callApi(t, tokens.access_token, 'GET', '/me', undefined, undefined, oauth.DPoP(phone.client, key))).status, 200);
  const refreshed = await refresh(t, phone, tokens.refresh_token!, { DPoP: oauth.DPoP(phone.client, key) });
  t.is((await callApi(t, refreshed.access_token, 'GET', '/groups', undefined, undefined, oauth.DPoP(phone.client, key))).status, 200);
});

test('an action ticket exchanged at the token endpoint (RFC 8693) lets the app post as alice', async (t) => {
  const alice = await codeFlow(t, confidential(WEB.client_id, WEB.client_secret), 'openid groups:apps');
  const hook = t.context.actionHooks.next();
  const added = await callApi(t, alice.access_token, 'POST', '/groups/hiking/apps', JSON.stringify({ client_id: t.context.poster.client_id, actions: ['messages:post'] }));
  t.is(added.status, 201);
  const received = await hook;
  const { data } = new Webhook(t.context.poster.webhook_secret).verify(received.body, received.headers as Record<string, string>) as { data: { ticket: string } };
  const tokens = await exchange(t, confidential(t.context.poster.client_id, t.context.poster.client_secret), { subject_token: data.ticket, subject_token_type: ACTION_TICKET });
  t.deepEqual(decodeJwt(tokens.access_token).act, { sub: t.context.poster.client_id });
  t.is((await callApi(t, tokens.access_token, 'POST', '/groups/hiking/messages', JSON.stringify({ text: 'posted by the app' }))).status, 201);
});

test('the H5 handoff: the backend\'s exchange for a code, the page\'s view token at /api', async (t) => {
  const web = confidential(WEB.client_id, WEB.client_secret);
  const backend = await codeFlow(t, web, 'openid messages:read');
  // RFC 8693 §2.2.1: a handoff code is no access token, so its token_type is N_A, which the library accepts only when told.
  const handoff = await exchange(t, web, {
    subject_token: backend.access_token, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    requested_token_type: 'urn:plaza:token-type:handoff-code', audience: 'plaza-h5',
  }, { recognizedTokenTypes: { n_a: () => {} } });
  const { viewToken, key } = await redeemHandoffAsPage(t.context.server, handoff.access_token);
  const res = await callApi(t, viewToken.access_token as string, 'GET', '/groups/hiking/messages', undefined, undefined, oauth.DPoP({ client_id: 'plaza-h5' } as oauth.Client, key));
  t.is(res.status, 200);
});

test('an encrypted async call with a token the library got, and its signed callback', async (t) => {
  const app = t.context.asyncApp;
  const tokens = await codeFlow(t, confidential(app.client_id, app.client_secret), 'openid messages:post');
  const sub = oauth.getValidatedIdTokenClaims(tokens)!.sub;
  const body = await encryptRequest(await plazaEncryptionKey(t.context.server), { api: 'messages.post', user: sub, format: 'json', data: { group_id: 'hiking', text: 'async via oauth4webapi' } });
  const hook = t.context.jobHooks.next();
  t.is((await callApi(t, tokens.access_token, 'POST', '/async', body, 'application/jose')).status, 202);
  const received = await hook;
  const callback = new Webhook(app.webhook_secret).verify(received.body, received.headers as Record<string, string>) as { type: string; data: { result: { text: string } } };
  t.is(callback.type, 'job.succeeded');
  t.is(callback.data.result.text, 'async via oauth4webapi');
});
