// Pairwise subjects over HTTP: the same user seen by two apps has two different `sub`s everywhere (ID token, userinfo,
// access token, introspection, /api answers, webhooks, async results), Plaza's own apps see the account id, a
// developer's apps share a union id that no other developer's app gets, and no app can pass for another's view.
import anyTest, { type TestFn } from 'ava';
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { Webhook } from 'standardwebhooks';
import { UNION_ID } from '../../server/oidc/index.ts';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { signIn } from '../helpers/client_libraries.ts';
import { ALICE, OTHER_WEB, REDIRECT_URI, WEB } from '../helpers/fixtures.ts';
import { api, redeemInteraction, redeemTicket, seedSocial, userApiToken, weatherBot, type App } from '../helpers/social.ts';
import { encryptRequest, plazaEncryptionKey, submit, waitForJob } from '../helpers/async_client.ts';
import { WebhookReceiver, type ReceivedWebhook } from '../helpers/webhook_receiver.ts';

const API_SCOPE = 'openid profile groups:read messages:read messages:post';

/** Two third-party web apps on one host, with callbacks (for async results). */
const left = (receiver: WebhookReceiver) => ({ ...OTHER_WEB, client_id: 'left', client_name: 'Left App', callback_uri: receiver.url, webhook_secret: `whsec_${'a'.repeat(43)}=` });
const right = (receiver: WebhookReceiver) => ({ ...left(receiver), client_id: 'right', client_name: 'Right App', webhook_secret: `whsec_${'b'.repeat(43)}=` });

interface Context {
  server: TestServer;
  receiver: WebhookReceiver;
  poster: App;
  other: App;
  alice: string;
  /** Alice's account id. */
  aliceId: string;
}

const test = anyTest as TestFn<Context>;

test.before(async (t) => {
  const receiver = await new WebhookReceiver().start();
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', WORKER_POLL_MS: '20' } });
  const { poster, other } = await seedSocial(server, receiver);
  await server.plaza.admin.seed({ clients: [left(receiver), right(receiver), weatherBot(receiver), weatherBot(receiver, 'storm', 'storm')] });
  const alice = await userApiToken(server);
  const aliceId = (await server.plaza.oidc.accounts.findByUsername(ALICE.username))!.id;
  t.context = { server, receiver, poster, other, alice, aliceId };
});
test.after.always(async (t) => {
  await t.context.server.stop();
  await t.context.receiver.stop();
});
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

/** The `sub` Plaza gives this app for alice: the one function every answer uses. */
const seenBy = (t: { context: Context }, clientId: string) => t.context.server.plaza.oidc.subjects.of(clientId, t.context.aliceId);

function configFor(server: TestServer, app: { client_id: string; client_secret: string }) {
  return client.discovery(new URL(server.url), app.client_id, app.client_secret, undefined, { execute: [client.allowInsecureRequests] });
}

/** Authorization code with PKCE through openid-client at its defaults; alice signs in and consents. */
async function codeFlow(server: TestServer, config: client.Configuration, scope: string, extra: Record<string, string> = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI, scope, nonce, prompt: 'consent', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
  });
  return client.authorizationCodeGrant(config, await signIn(server, url), { pkceCodeVerifier: verifier, expectedNonce: nonce });
}

/** Every `sub` one app sees for alice through sign-in: ID token, userinfo, introspection, access token, /api/me and message authors. */
async function subjectsSeenThroughSignIn(t: { context: Context }, app: { client_id: string; client_secret: string }) {
  const { server } = t.context;
  const config = await configFor(server, app);
  const oidcOnly = await codeFlow(server, config, 'openid profile');
  const userinfo = await client.fetchUserInfo(config, oidcOnly.access_token, oidcOnly.claims()!.sub);
  const forApi = await codeFlow(server, config, API_SCOPE);
  const introspected = await client.tokenIntrospection(config, forApi.access_token);
  const introspectedOpaque = await client.tokenIntrospection(config, oidcOnly.access_token);
  const me = await api(server, 'GET', '/me', forApi.access_token);
  const posted = await api(server, 'POST', '/groups/hiking/messages', forApi.access_token, { text: `hello from ${app.client_id}` });
  const listed = await api(server, 'GET', '/groups/hiking/messages', forApi.access_token);
  const one = await api(server, 'GET', `/groups/hiking/messages/${posted.body.id}`, forApi.access_token);
  return {
    tokens: { oidcOnly, forApi },
    subs: {
      idToken: oidcOnly.claims()!.sub, userinfo: userinfo.sub, opaqueIntrospection: introspectedOpaque.sub, accessToken: decodeJwt(forApi.access_token).sub,
      jwtIntrospection: introspected.sub, me: me.body.sub, postedAuthor: posted.body.author,
      listedAuthor: listed.body.find((m: { id: string }) => m.id === posted.body.id)?.author, oneAuthor: one.body.author,
    },
  };
}

test.serial('the same user through two apps on one host: two different subs, each the same everywhere the app sees her', async (t) => {
  const { server, receiver, aliceId } = t.context;
  const seen = { left: await subjectsSeenThroughSignIn(t, left(receiver)), right: await subjectsSeenThroughSignIn(t, right(receiver)) };
  const expected = { left: await seenBy(t, 'left'), right: await seenBy(t, 'right') };
  t.notDeepEqual(expected.left, expected.right);
  for (const app of ['left', 'right'] as const) {
    t.not(expected[app], aliceId, `${app} does not see the account id`);
    for (const [where, sub] of Object.entries(seen[app].subs)) t.is(sub, expected[app], `${app}: ${where}`);
  }
  // Each app sees the other's message by alice under its own sub for her.
  const leftToken = seen.left.tokens.forApi.access_token;
  const listed = (await api(server, 'GET', '/groups/hiking/messages', leftToken)).body as { author: string; via: string }[];
  t.deepEqual(new Set(listed.filter((m) => m.via === 'left' || m.via === 'right').map((m) => m.author)), new Set([expected.left]));
  // Plaza's own (first-party) app keeps the account id.
  t.is((await api(server, 'GET', '/me', t.context.alice)).body.sub, aliceId);
  t.is(await seenBy(t, WEB.client_id), aliceId);
});

test.serial('discovery offers pairwise subjects and the union id claim', async (t) => {
  const metadata = await (await fetch(`${t.context.server.url}/.well-known/openid-configuration`)).json() as Record<string, string[]>;
  t.deepEqual(metadata.subject_types_supported, ['public', 'pairwise']);
  t.true(metadata.claims_supported.includes(UNION_ID));
});

const parse = (hook: ReceivedWebhook) => JSON.parse(hook.body) as { type: string; data: Record<string, any> };

test.serial('action grants: each app gets its own sub for the user in the webhook, and the same in its token and /api answers', async (t) => {
  const { server, receiver, alice } = t.context;
  const seen: Record<string, string> = {};
  for (const app of [t.context.poster, t.context.other]) {
    const hook = receiver.next();
    t.is((await api(server, 'POST', '/groups/hiking/apps', alice, { client_id: app.client_id, actions: ['messages:post', 'messages:read'] })).status, 201);
    const received = await hook;
    const { data } = new Webhook(app.webhook_secret).verify(received.body, received.headers as Record<string, string>) as { data: Record<string, string> };
    const tokens = await redeemTicket(server, app, data.ticket);
    t.is(tokens.status, 200, JSON.stringify(tokens.body));
    const posted = await api(server, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: `from ${app.client_id}` });
    const mine = (await api(server, 'GET', '/groups/hiking/messages', tokens.body.access_token)).body.filter((m: { via: string }) => m.via === 'poster' || m.via === 'other-app');
    const subs = [data.user, decodeJwt(tokens.body.access_token).sub, (await api(server, 'GET', '/me', tokens.body.access_token)).body.sub, posted.body.author, ...mine.map((m: { author: string }) => m.author)];
    t.deepEqual(new Set(subs), new Set([await seenBy(t, app.client_id)]), app.client_id);
    seen[app.client_id] = data.user;
  }
  t.not(seen.poster, seen['other-app']);
});

test.serial('interactions: each bot gets its own sub for the asker and for the message author in interaction.created', async (t) => {
  const { server, receiver, alice } = t.context;
  for (const bot of ['weather', 'storm']) {
    t.is((await api(server, 'POST', '/groups/chess/apps', alice, { client_id: bot, actions: [], respond: true })).status, 201);
  }
  const seen: Record<string, string> = {};
  for (const bot of ['weather', 'storm']) {
    const hook = receiver.next();
    t.is((await api(server, 'POST', '/groups/chess/messages', alice, { text: `/${bot} Berlin` })).status, 201);
    const { type, data } = parse(await hook);
    t.is(type, 'interaction.created');
    const tokens = await redeemInteraction(server, weatherBot(receiver, bot, bot), data.ticket);
    t.is(tokens.status, 200, JSON.stringify(tokens.body));
    const reply = await api(server, 'POST', '/groups/chess/messages', tokens.body.access_token, { text: 'Sunny', reply_to: data.message.id });
    t.is(reply.status, 201);
    t.deepEqual(new Set([data.user, data.message.author, decodeJwt(tokens.body.access_token).sub, reply.body.author]), new Set([await seenBy(t, bot)]), bot);
    seen[bot] = data.user;
  }
  t.not(seen.weather, seen.storm);
});

test.serial('async calls: the request names the user by the app\'s own sub, another app\'s sub for her is refused, results name her so', async (t) => {
  const { server, receiver } = t.context;
  const app = left(receiver);
  const token = await userApiToken(server, ALICE, 'messages:read messages:post', app);
  const key = await plazaEncryptionKey(server);
  const request = (user: string) => ({ api: 'messages.post', user, format: 'json', data: { group_id: 'hiking', text: 'async' } });
  for (const foreign of [t.context.aliceId, await seenBy(t, 'right')]) {
    const refused = await submit(server, token, await encryptRequest(key, request(foreign)));
    t.is(refused.status, 403);
    t.is(refused.body.code, 'user_mismatch');
  }
  const accepted = await submit(server, token, await encryptRequest(key, request(await seenBy(t, 'left'))));
  t.is(accepted.status, 202, JSON.stringify(accepted.body));
  const job = await waitForJob(server, token, accepted.body.job_id, (j) => j.state === 'succeeded');
  t.is(job.result.author, await seenBy(t, 'left'));
});

test.serial('a token whose sub is not its grant\'s user for its app is refused', async (t) => {
  const { server, receiver } = t.context;
  const { provider } = server.plaza.oidc;
  const token = await userApiToken(server, ALICE, 'groups:read', left(receiver));
  const grantId = decodeJwt(token).grant_id as string;
  const bobId = (await server.plaza.oidc.accounts.findByUsername('bob'))!.id;
  // Plaza's own key signs it, under alice's grant for left, naming bob: only the grant check can tell.
  const forged = new provider.AccessToken({ accountId: bobId, client: (await provider.Client.find('left'))!, grantId, gty: 'authorization_code', scope: 'groups:read' });
  forged.resourceServer = new provider.ResourceServer(`${server.url}/api`, {
    scope: 'groups:read', audience: `${server.url}/api`, accessTokenFormat: 'jwt', accessTokenTTL: 60, jwt: { sign: { alg: 'ES256' } },
  });
  const value = await forged.save();
  t.is(decodeJwt(value).sub, await server.plaza.oidc.subjects.of('left', bobId));
  const res = await api(server, 'GET', '/me', value);
  t.is(res.status, 401);
  t.is(res.body.code, 'invalid_token');
  t.is((await api(server, 'GET', '/me', token)).status, 200, 'the grant\'s own token still works');
});

test.serial('a developer\'s apps share a union id for the user; another developer\'s app and the operator\'s apps get none of it', async (t) => {
  const { server, receiver, aliceId } = t.context;
  const { clients, subjects } = server.plaza.oidc;
  await server.plaza.admin.seed({ users: [{ username: 'dev-one', password: 'dev-one-password-1' }, { username: 'dev-two', password: 'dev-two-password-1' }] });
  const owner = async (username: string) => (await server.plaza.oidc.accounts.findByUsername(username))!.id;
  const devApp = (id: string) => ({
    client_id: id, client_secret: `${id}-secret-0123456789-0123456789`, client_name: id, redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post',
  });
  const owners: Record<string, string> = { 'one-a': await owner('dev-one'), 'one-b': await owner('dev-one'), 'two-a': await owner('dev-two') };
  for (const [id, by] of Object.entries(owners)) await clients.register(devApp(id), 'developer', { owner: by });

  const seen: Record<string, { sub: string; union?: unknown; idTokenUnion?: unknown }> = {};
  for (const app of [devApp('one-a'), devApp('one-b'), devApp('two-a'), left(receiver)]) {
    const config = await configFor(server, app);
    const signedIn = await codeFlow(server, config, 'openid');
    const userinfo = await client.fetchUserInfo(config, signedIn.access_token, signedIn.claims()!.sub);
    // With API scopes the access token is not for userinfo, so the ID token carries the openid scope's claims.
    const forApi = await codeFlow(server, config, 'openid groups:read');
    seen[app.client_id] = { sub: userinfo.sub, union: userinfo[UNION_ID], idTokenUnion: forApi.claims()![UNION_ID] };
    t.is(forApi.claims()!.sub, userinfo.sub);
  }
  t.is(seen['one-a'].union, subjects.unionId(owners['one-a'], aliceId));
  t.is(seen['one-b'].union, seen['one-a'].union, 'one developer\'s apps share it');
  t.not(seen['one-b'].sub, seen['one-a'].sub, 'while each keeps its own sub');
  t.not(seen['two-a'].union, seen['one-a'].union, 'another developer\'s app gets another');
  t.is(seen.left.union, undefined, 'an operator\'s app without an owner gets none');
  for (const app of ['one-a', 'one-b', 'two-a']) {
    t.is(typeof seen[app].union, 'string');
    t.is(seen[app].idTokenUnion, seen[app].union, `${app}: the ID token says the same`);
  }
  t.is(seen.left.idTokenUnion, undefined);
});

test.serial('subject_type is Plaza\'s: an operator registration asking for public is pairwise; apps share subjects only through one sector_identifier_uri', async (t) => {
  const { server, receiver, aliceId } = t.context;
  const { provider, subjects, clients } = server.plaza.oidc;
  const registered = await clients.register({ ...left(receiver), client_id: 'asks-public', subject_type: 'public' }, 'operator');
  t.is(registered.metadata.subject_type, undefined, 'none is stored');
  t.is((await provider.Client.find('asks-public'))!.subjectType, 'pairwise');
  t.is((await provider.Client.find(WEB.client_id))!.subjectType, 'public', 'a first-party client keeps the account id');
  // oidc-provider fetches a sector_identifier_uri over the public network only, so the rule is shown on metadata.
  const sector = (id: string, uri?: string) => ({ client_id: id, ...(uri ? { sector_identifier_uri: uri } : {}) });
  const shared = subjects.seenBy(sector('a', 'https://apps.example/sector.json'), aliceId);
  t.is(subjects.seenBy(sector('b', 'https://apps.example/sector.json'), aliceId), shared, 'one sector_identifier_uri, one sub');
  // A shared host serves any developer's file (raw.githubusercontent.com, a bucket): another file there is another sector.
  t.not(subjects.seenBy(sector('d', 'https://apps.example/other.json'), aliceId), shared, 'another developer\'s file on the same host');
  t.not(subjects.seenBy(sector('c', 'https://else.example/sector.json'), aliceId), shared);
  t.not(subjects.seenBy(sector('a'), aliceId), shared, 'without it, the client is its own sector');
});

test.serial('union_id asked for through the claims parameter: an owned app gets it in the ID token and userinfo, an operator\'s app gets none', async (t) => {
  const { server, receiver, aliceId } = t.context;
  await server.plaza.admin.seed({ users: [{ username: 'dev-three', password: 'dev-three-password-1' }] });
  const owner = (await server.plaza.oidc.accounts.findByUsername('dev-three'))!.id;
  const owned = {
    client_id: 'claims-owned', client_secret: `claims-owned-secret-${'0'.repeat(20)}`, client_name: 'Owned', redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post',
  };
  await server.plaza.oidc.clients.register(owned, 'developer', { owner });
  // OIDC Core 5.5: with scope openid alone, the ID token of a code flow carries the union id only because it is asked for.
  const claims = JSON.stringify({ id_token: { [UNION_ID]: { essential: true } }, userinfo: { [UNION_ID]: null } });
  const seen: Record<string, { idToken: unknown; userinfo: unknown }> = {};
  for (const app of [owned, left(receiver)]) {
    const config = await configFor(server, app);
    const tokens = await codeFlow(server, config, 'openid', { claims });
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    seen[app.client_id] = { idToken: tokens.claims()![UNION_ID], userinfo: userinfo[UNION_ID] };
  }
  const union = server.plaza.oidc.subjects.unionId(owner, aliceId);
  t.deepEqual(seen['claims-owned'], { idToken: union, userinfo: union });
  t.deepEqual(seen.left, { idToken: undefined, userinfo: undefined }, 'asked for, even as essential, an operator\'s app gets none');
});

test.serial('/api/me names the username only to Plaza\'s own apps and to an app the user granted profile; the display name to any', async (t) => {
  const { server, receiver, alice } = t.context;
  const config = await configFor(server, left(receiver));
  const me = async (token: string) => (await api(server, 'GET', '/me', token)).body as { username?: string; name?: string };
  const withProfile = await me((await codeFlow(server, config, 'openid profile groups:read')).access_token);
  const withoutProfile = await me((await codeFlow(server, config, 'openid groups:read')).access_token);
  const claimAskedFor = await me((await codeFlow(server, config, 'openid groups:read', { claims: JSON.stringify({ id_token: { preferred_username: null } }) })).access_token);
  // An action grant: alice added the app to a group, and released nothing about herself.
  const hook = receiver.next();
  t.is((await api(server, 'POST', '/groups/hiking/apps', alice, { client_id: t.context.poster.client_id, actions: ['messages:read'] })).status, 201);
  const { data } = parse(await hook);
  const actionToken = await redeemTicket(server, t.context.poster, data.ticket);
  t.is(actionToken.status, 200, JSON.stringify(actionToken.body));
  const asActionGrant = await me(actionToken.body.access_token);
  t.is(withProfile.username, ALICE.username, 'preferred_username is a claim of profile, which she consented to');
  t.is(withoutProfile.username, undefined);
  t.is(claimAskedFor.username, ALICE.username, 'or to preferred_username itself, asked for through the claims parameter');
  t.is(asActionGrant.username, undefined);
  t.is((await me(alice)).username, ALICE.username, 'a first-party app');
  for (const answer of [withProfile, withoutProfile, claimAskedFor, asActionGrant]) t.is(typeof answer.name, 'string');
});
