// Plaza's flows driven by openid-client 6 at its default settings, as an app would write them.
// Under test/clients/ rather than mirroring server/: each flow crosses several capabilities (oidc, social, binding, async).
import anyTest, { type TestFn } from 'ava';
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { Webhook } from 'standardwebhooks';
import { redeemHandoffAsPage, signIn, startLibraryPlaza, stopLibraryPlaza, type LibraryPlaza } from '../helpers/client_libraries.ts';
import { dpopKey, dpopProof, athOf } from '../helpers/oauth.ts';
import { ALICE, PHONE, REDIRECT_URI, SERVICE, WEB, ADMIN_TOOL } from '../helpers/fixtures.ts';
import { ACTION_TICKET, ALL_API_SCOPES, INTERACTION_TICKET, TOKEN_EXCHANGE, weatherBot } from '../helpers/social.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { encryptRequest, plazaEncryptionKey } from '../helpers/async_client.ts';

const test = anyTest as TestFn<LibraryPlaza>;

test.before(async (t) => { t.context = await startLibraryPlaza(); });
test.after.always(async (t) => { await stopLibraryPlaza(t.context); });
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

/** The one non-default: Plaza's test issuer is http on loopback. */
function configFor(plaza: LibraryPlaza, clientId: string, secret?: string): Promise<client.Configuration> {
  return client.discovery(new URL(plaza.server.url), clientId, secret, undefined, { execute: [client.allowInsecureRequests] });
}

/** Authorization code + PKCE as the library builds and redeems it; alice signs in and consents on the real pages. */
async function codeFlow(plaza: LibraryPlaza, config: client.Configuration, params: Record<string, string>, options: { par?: boolean; DPoP?: client.DPoPHandle } = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = params.scope.split(' ').includes('openid') ? client.randomNonce() : undefined;
  const request = {
    redirect_uri: REDIRECT_URI, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, prompt: 'consent',
    ...(nonce ? { nonce } : {}), ...params,
  };
  const url = options.par ? await client.buildAuthorizationUrlWithPAR(config, request, { DPoP: options.DPoP }) : client.buildAuthorizationUrl(config, request);
  const callback = await signIn(plaza.server, url);
  return client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }, undefined, { DPoP: options.DPoP });
}

function apiUrl(plaza: LibraryPlaza, path: string): URL {
  return new URL(`${plaza.server.url}/api${path}`);
}

async function postMessage(plaza: LibraryPlaza, config: client.Configuration, token: string, text: string, DPoP?: client.DPoPHandle) {
  return client.fetchProtectedResource(config, token, apiUrl(plaza, '/groups/hiking/messages'), 'POST', JSON.stringify({ text }),
    new Headers({ 'content-type': 'application/json' }), { DPoP });
}

for (const withResource of [false, true]) {
  test(`code + PKCE for OIDC and API scopes ${withResource ? 'with' : 'without'} resource on the authorization request: the token works at /api`, async (t) => {
    const plaza = t.context;
    const config = await configFor(plaza, WEB.client_id, WEB.client_secret);
    const tokens = await codeFlow(plaza, config, {
      scope: 'openid profile groups:read messages:post', ...(withResource ? { resource: `${plaza.server.url}/api` } : {}),
    });
    t.is(decodeJwt(tokens.access_token).aud, `${plaza.server.url}/api`);
    t.is(tokens.scope, 'groups:read messages:post', 'the scope of the access token');
    t.like(tokens.claims(), { preferred_username: 'alice', name: 'Alice Example' }, 'the id_token carries the profile claims');
    const groups = await client.fetchProtectedResource(config, tokens.access_token, apiUrl(plaza, '/groups'), 'GET');
    t.is(groups.status, 200);
    t.is((await postMessage(plaza, config, tokens.access_token, 'hello from openid-client')).status, 201);
  });
}

test('refresh: the API token again without resource, and a userinfo token when only OIDC scopes are asked for', async (t) => {
  const plaza = t.context;
  const config = await configFor(plaza, WEB.client_id, WEB.client_secret);
  const first = await codeFlow(plaza, config, { scope: 'openid profile offline_access groups:read' });
  const refreshed = await client.refreshTokenGrant(config, first.refresh_token!);
  t.is(decodeJwt(refreshed.access_token).aud, `${plaza.server.url}/api`);
  t.is((await client.fetchProtectedResource(config, refreshed.access_token, apiUrl(plaza, '/groups'), 'GET')).status, 200);

  const forUserinfo = await client.refreshTokenGrant(config, first.refresh_token!, { scope: 'openid profile' });
  const sub = first.claims()!.sub;
  t.like(await client.fetchUserInfo(config, forUserinfo.access_token, sub), { sub, preferred_username: 'alice' });
});

test('client credentials: a token for the API, and for the admin API only with the admin scope', async (t) => {
  const plaza = t.context;
  const service = await client.clientCredentialsGrant(await configFor(plaza, SERVICE.client_id, SERVICE.client_secret), { scope: 'groups:read' });
  t.like(decodeJwt(service.access_token), { aud: `${plaza.server.url}/api`, scope: 'groups:read', client_id: SERVICE.client_id });
  const adminConfig = await configFor(plaza, ADMIN_TOOL.client_id, ADMIN_TOOL.client_secret);
  const admin = await client.clientCredentialsGrant(adminConfig, { scope: 'admin' });
  const users = await client.fetchProtectedResource(adminConfig, admin.access_token, new URL(`${plaza.server.url}/admin/api/users`), 'GET');
  t.is(users.status, 200);
});

test('PAR + DPoP on a terminal-bound client: bound tokens, the API\'s own nonce challenge answered by the library', async (t) => {
  const plaza = t.context;
  const config = await configFor(plaza, PHONE.client_id);
  const key = await dpopKey();
  const tokens = await codeFlow(plaza, config, { scope: `openid offline_access ${ALL_API_SCOPES}` }, { par: true, DPoP: client.getDPoPHandle(config, key) });
  t.is(tokens.token_type, 'dpop');
  t.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: key.jkt });

  const me = apiUrl(plaza, '/me');
  const unprompted = await fetch(me, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: await dpopProof(key, 'GET', me.href, { ath: athOf(tokens.access_token) }) } });
  t.is(unprompted.status, 401, 'the API asks for a nonce of its own');
  t.regex(unprompted.headers.get('www-authenticate')!, /^DPoP error="use_dpop_nonce"/);
  t.truthy(unprompted.headers.get('dpop-nonce'));
  // A fresh handle knows no nonce yet: its first try is refused the same way, and the library retries with the nonce.
  const res = await client.fetchProtectedResource(config, tokens.access_token, me, 'GET', undefined, undefined, { DPoP: client.getDPoPHandle(config, key) });
  t.is(res.status, 200);
  t.is((await postMessage(plaza, config, tokens.access_token, 'from the phone', client.getDPoPHandle(config, key))).status, 201);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: client.getDPoPHandle(config, key) });
  t.deepEqual(decodeJwt(refreshed.access_token).cnf, { jkt: key.jkt });
  const otherKey = await t.throwsAsync<client.ResponseBodyError>(client.refreshTokenGrant(config, refreshed.refresh_token!, undefined, { DPoP: client.getDPoPHandle(config, await dpopKey()) }));
  t.is(otherKey?.error, 'invalid_grant', 'the refresh token is bound to the terminal key');
});

test('an action ticket exchanged with genericGrantRequest (RFC 8693) lets the app post as alice', async (t) => {
  const plaza = t.context;
  const web = await configFor(plaza, WEB.client_id, WEB.client_secret);
  const alice = await codeFlow(plaza, web, { scope: 'openid groups:apps' });
  const hook = plaza.actionHooks.next();
  const added = await client.fetchProtectedResource(web, alice.access_token, apiUrl(plaza, '/groups/hiking/apps'), 'POST',
    JSON.stringify({ client_id: plaza.poster.client_id, actions: ['messages:post'] }), new Headers({ 'content-type': 'application/json' }));
  t.is(added.status, 201);
  const received = await hook;
  const { data } = new Webhook(plaza.poster.webhook_secret).verify(received.body, received.headers as Record<string, string>) as { data: { ticket: string } };

  const poster = await configFor(plaza, plaza.poster.client_id, plaza.poster.client_secret);
  const tokens = await client.genericGrantRequest(poster, TOKEN_EXCHANGE, { subject_token: data.ticket, subject_token_type: ACTION_TICKET });
  t.is(tokens.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
  t.deepEqual(decodeJwt(tokens.access_token).act, { sub: plaza.poster.client_id });
  t.is((await postMessage(plaza, poster, tokens.access_token, 'posted by the app')).status, 201);
  const refreshed = await client.refreshTokenGrant(poster, tokens.refresh_token!);
  t.is((await postMessage(plaza, poster, refreshed.access_token, 'still the app')).status, 201);
});

test('an interaction ticket exchanged with genericGrantRequest (RFC 8693) lets the app answer the message that asked, and nothing else', async (t) => {
  const plaza = t.context;
  // A group and a receiver of its own: the other tests share hiking and the action hooks.
  const hooks = await new WebhookReceiver().start();
  t.teardown(() => hooks.stop());
  const weather = weatherBot(hooks, 'library-weather');
  await plaza.server.plaza.admin.seed({ clients: [weather], groups: [{ id: 'forecasts', name: 'Forecasts', members: [ALICE.username] }] });
  const web = await configFor(plaza, WEB.client_id, WEB.client_secret);
  const alice = await codeFlow(plaza, web, { scope: 'openid groups:apps messages:post' });
  const json = new Headers({ 'content-type': 'application/json' });
  const respond = await client.fetchProtectedResource(web, alice.access_token, apiUrl(plaza, '/groups/forecasts/apps'), 'POST',
    JSON.stringify({ client_id: weather.client_id, actions: [], respond: true }), json);
  t.is(respond.status, 201);
  const hook = hooks.next();
  const asked = await client.fetchProtectedResource(web, alice.access_token, apiUrl(plaza, '/groups/forecasts/messages'), 'POST', JSON.stringify({ text: '/weather Berlin' }), json);
  t.is(asked.status, 201);
  const received = await hook;
  const { type, data } = new Webhook(weather.webhook_secret).verify(received.body, received.headers as Record<string, string>) as { type: string; data: { ticket: string; message: { id: string } } };
  t.is(type, 'interaction.created');

  const bot = await configFor(plaza, weather.client_id, weather.client_secret);
  const tokens = await client.genericGrantRequest(bot, TOKEN_EXCHANGE, { subject_token: data.ticket, subject_token_type: INTERACTION_TICKET });
  t.is(tokens.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
  t.is(tokens.token_type, 'bearer');
  t.is(tokens.expires_in, 900);
  t.is(tokens.refresh_token, undefined, 'no refresh token');
  t.deepEqual(tokens.authorization_details, [{ type: 'group_interaction', group_id: 'forecasts', in_reply_to: data.message.id, actions: ['messages:post'], max_uses: 5 }]);
  t.deepEqual(decodeJwt(tokens.access_token).act, { sub: weather.client_id });

  const answer = (body: Record<string, unknown>) => client.fetchProtectedResource(bot, tokens.access_token, apiUrl(plaza, '/groups/forecasts/messages'), 'POST', JSON.stringify(body), json);
  const reply = await answer({ text: 'Berlin: 21°C and sunny', reply_to: data.message.id });
  t.is(reply.status, 201);
  t.like(await reply.json(), { reply_to: data.message.id, via: weather.client_id, text: 'Berlin: 21°C and sunny' });
  // The library throws on a refusal with a WWW-Authenticate challenge (RFC 6750 §3), which names the error.
  const refusal = async (body: Record<string, unknown>) => {
    const err = await t.throwsAsync<client.WWWAuthenticateChallengeError>(answer(body));
    return { status: err?.status, error: err?.cause[0]?.parameters.error };
  };
  t.deepEqual(await refusal({ text: 'Buy my weather app!' }), { status: 403, error: 'insufficient_scope' }, 'a post that answers nothing');
  const again = await t.throwsAsync<client.ResponseBodyError>(client.genericGrantRequest(bot, TOKEN_EXCHANGE, { subject_token: data.ticket, subject_token_type: INTERACTION_TICKET }));
  t.is(again?.error, 'invalid_grant', 'the ticket is spent');
  t.deepEqual(await refusal({ text: 'after the replay', reply_to: data.message.id }), { status: 401, error: 'invalid_token' }, 'and a replay revoked what it bought');
});

test('the H5 handoff: the backend trades its token for a code with genericGrantRequest, the page\'s view token works at /api', async (t) => {
  const plaza = t.context;
  const config = await configFor(plaza, WEB.client_id, WEB.client_secret);
  const backend = await codeFlow(plaza, config, { scope: 'openid messages:read' });
  const handoff = await client.genericGrantRequest(config, TOKEN_EXCHANGE, {
    subject_token: backend.access_token, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    requested_token_type: 'urn:plaza:token-type:handoff-code', audience: 'plaza-h5',
  });
  t.like(handoff, { token_type: 'n_a', issued_token_type: 'urn:plaza:token-type:handoff-code' });
  const { viewToken, key } = await redeemHandoffAsPage(plaza.server, handoff.access_token);
  const res = await client.fetchProtectedResource(config, viewToken.access_token as string, apiUrl(plaza, '/groups/hiking/messages'), 'GET', undefined, undefined,
    { DPoP: client.getDPoPHandle(config, key) });
  t.is(res.status, 200);
});

test('an encrypted async call with a token the library got, and its signed callback', async (t) => {
  const plaza = t.context;
  const app = plaza.asyncApp;
  const config = await configFor(plaza, app.client_id, app.client_secret);
  const tokens = await codeFlow(plaza, config, { scope: 'openid messages:post' });
  const sub = tokens.claims()!.sub;
  const body = await encryptRequest(await plazaEncryptionKey(plaza.server), { api: 'messages.post', user: sub, format: 'json', data: { group_id: 'hiking', text: 'async via openid-client' } });
  const hook = plaza.jobHooks.next();
  const res = await client.fetchProtectedResource(config, tokens.access_token, apiUrl(plaza, '/async'), 'POST', body, new Headers({ 'content-type': 'application/jose' }));
  t.is(res.status, 202);
  const received = await hook;
  const callback = new Webhook(app.webhook_secret).verify(received.body, received.headers as Record<string, string>) as { type: string; data: { result: { text: string } } };
  t.is(callback.type, 'job.succeeded');
  t.is(callback.data.result.text, 'async via openid-client');
});
