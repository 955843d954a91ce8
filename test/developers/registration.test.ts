// RFC 7591 registration with an initial access token from the console, RFC 7592 management with rotating
// registration access tokens, the same operator-only field policy as the console; suspension; who is asking on consent.
import test from 'ava';
import * as client from 'openid-client';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { modelCollection } from '../../server/oidc/index.ts';
import { Browser, authorize, csrfOf, pkce, tokenRequest } from '../helpers/oauth.ts';
import { ALICE, BOB, codeRequest, REDIRECT_URI } from '../helpers/fixtures.ts';
import { api, seedSocial } from '../helpers/social.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { appForm, authenticates, createApp, followReveal, redeemTicketBasic, shownSecret, signInToConsole, type ConsoleSession } from '../helpers/developers.ts';

async function setUp(t: { teardown(fn: () => Promise<void>): void }) {
  const receiver = await new WebhookReceiver().start();
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', WORKER_POLL_MS: '20' } });
  t.teardown(async () => {
    await server.stop();
    await receiver.stop();
  });
  await seedSocial(server, receiver);
  return { server, receiver };
}

async function initialAccessToken(server: TestServer, session: ConsoleSession): Promise<string> {
  const res = await appForm(server, session, '/tokens');
  return shownSecret((await followReveal(server, session, res)).html, 'initial_access_token')!;
}

/** A hand-built RFC 7591 request (oauth4webapi has no registration). */
function register(server: TestServer, token: string, metadata: Record<string, unknown>) {
  return fetch(`${server.url}/reg`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(metadata) });
}

function manage(uri: string, token: string, method = 'GET', body?: unknown) {
  return fetch(uri, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
}

const SERVICE_APP = {
  client_name: 'Registered Service', client_uri: 'https://service.example/', grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic', scope: 'groups:read',
};

test('an initial access token from the console registers one app (RFC 7591), which openid-client then uses at its defaults', async (t) => {
  const { server } = await setUp(t);
  const alice = await signInToConsole(server, ALICE);
  const iat = await initialAccessToken(server, alice);
  t.is((await register(server, 'not-a-token', SERVICE_APP)).status, 401);

  const res = await register(server, iat, { ...SERVICE_APP, subject_type: 'public' });
  t.is(res.status, 201);
  const registered = await res.json() as Record<string, string>;
  t.is(registered.subject_type, 'pairwise', 'a third-party app gets pairwise subjects, whatever it asked for (RFC 7591 §3.2.1)');
  t.truthy(registered.client_secret);
  t.truthy(registered.registration_access_token);
  t.is(registered.registration_client_uri, `${server.url}/reg/${registered.client_id}`);
  t.is((await server.plaza.oidc.clients.standing(registered.client_id))?.owner, (await server.plaza.oidc.accounts.findByUsername('alice'))!.id, 'alice owns it');
  const console = await (await alice.browser.fetch(`${server.url}/developers`)).text();
  t.true(console.includes(registered.client_id), 'it is listed in her console');
  t.false(JSON.stringify(await modelCollection(server.plaza.store, 'Client').get(registered.client_id)).includes(registered.client_secret), 'sealed at rest');

  const reused = await register(server, iat, { ...SERVICE_APP, client_name: 'Second' });
  t.is(reused.status, 401, 'an initial access token registers one app');

  const config = await client.discovery(new URL(server.url), registered.client_id, registered.client_secret, undefined, { execute: [client.allowInsecureRequests] });
  const tokens = await client.clientCredentialsGrant(config, { scope: 'groups:read' });
  t.is(tokens.token_type.toLowerCase(), 'bearer');
  t.truthy(tokens.access_token);
  t.deepEqual(server.serverErrors, []);
});

test('RFC 7592: a registration access token rotates on update, works once after, and never for another client', async (t) => {
  const { server } = await setUp(t);
  const alice = await signInToConsole(server, ALICE);
  const first = await (await register(server, await initialAccessToken(server, alice), SERVICE_APP)).json() as Record<string, string>;
  const second = await (await register(server, await initialAccessToken(server, alice), { ...SERVICE_APP, client_name: 'Other' })).json() as Record<string, string>;
  const uri = first.registration_client_uri;

  const read = await manage(uri, first.registration_access_token);
  t.is(read.status, 200);
  t.is((await read.json() as Record<string, unknown>).webhook_secret, undefined);

  const updated = await manage(uri, first.registration_access_token, 'PUT', { ...SERVICE_APP, client_id: first.client_id, client_name: 'Renamed Service' });
  t.is(updated.status, 200);
  const rotated = (await updated.json() as Record<string, string>).registration_access_token;
  t.not(rotated, first.registration_access_token);
  t.is((await manage(uri, first.registration_access_token)).status, 401, 'the old registration access token is gone');
  t.is((await manage(uri, rotated)).status, 200);
  t.is((await server.plaza.oidc.clients.get(first.client_id))?.client_name, 'Renamed Service');
  t.true(await authenticates(server, first.client_id, first.client_secret), 'the update kept the sealed secret');
  t.is((await server.plaza.oidc.clients.standing(first.client_id))?.registrar, 'developer', 'and the standing');

  const sneaky = await manage(uri, rotated, 'PUT', { ...SERVICE_APP, client_id: first.client_id, plaza_first_party: true });
  t.is(sneaky.status, 400);
  t.is((await sneaky.json() as Record<string, string>).error, 'invalid_client_metadata');

  t.is((await manage(second.registration_client_uri, rotated)).status, 401, 'not for another client');
  t.is((await manage(second.registration_client_uri, second.registration_access_token)).status, 200, 'whose own token still works');

  const deleted = await manage(second.registration_client_uri, second.registration_access_token, 'DELETE');
  t.is(deleted.status, 204);
  t.false(await authenticates(server, second.client_id, second.client_secret));
  t.deepEqual(server.serverErrors, []);
});

test('registration refuses operator-only fields with invalid_client_metadata, and the token survives the refusal', async (t) => {
  const { server } = await setUp(t);
  const alice = await signInToConsole(server, ALICE);
  const iat = await initialAccessToken(server, alice);
  for (const field of [{ plaza_first_party: true }, { plaza_hosts: ['wx'] }, { plaza_host_app_ids: { wx: 'a' } }, { scope: 'groups:read admin' }, { plaza_resource_server: [`${server.url}/api`] }, { standing: { registrar: 'operator' } }]) {
    const res = await register(server, iat, { ...SERVICE_APP, ...field });
    t.is(res.status, 400, JSON.stringify(field));
    t.is((await res.json() as Record<string, string>).error, 'invalid_client_metadata');
  }
  t.is((await register(server, iat, SERVICE_APP)).status, 201);
  // The operator's token, for bob, from the admin operations the CLI calls.
  const operatorToken = await server.plaza.admin.createInitialAccessToken('bob');
  const bobs = await (await register(server, operatorToken.token, SERVICE_APP)).json() as Record<string, string>;
  t.is((await server.plaza.oidc.clients.standing(bobs.client_id))?.owner, (await server.plaza.oidc.accounts.findByUsername('bob'))!.id);
  t.deepEqual(server.serverErrors, []);
});

test('a suspended app gets nothing: its tokens are refused at the API, the token endpoint, introspection and ticket redemption', async (t) => {
  const { server, receiver } = await setUp(t);
  const alice = await signInToConsole(server, ALICE);
  const bot = await createApp(server, alice, { kind: 'bot', name: 'Bad Bot', callback_uri: receiver.url });
  const app = { clientId: bot.clientId, clientSecret: bot.clientSecret! };
  const group = await (await alice.browser.fetch(`${server.url}/groups/hiking`)).text();
  const hooks = [receiver.next(), receiver.next()];
  await alice.browser.postForm(`${server.url}/groups/hiking/apps`, { _csrf: csrfOf(group), client_id: bot.clientId, actions: 'messages:post' });
  await alice.browser.postForm(`${server.url}/groups/chess/apps`, { _csrf: csrfOf(group), client_id: bot.clientId, actions: 'messages:post' });
  const [first, second] = await Promise.all(hooks);
  const tokens = await redeemTicketBasic(server, app, JSON.parse(first.body).data.ticket);
  t.is(tokens.status, 200);
  t.truthy(tokens.body.refresh_token);

  t.true(await server.plaza.admin.suspendClient(bot.clientId, true));
  t.is((await api(server, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: 'spam' })).status, 401, '/api refuses its access token');
  const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }, { authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}` });
  t.is(refresh.body.error, 'invalid_client', 'no refresh');
  t.is((await redeemTicketBasic(server, app, JSON.parse(second.body).data.ticket)).body.error, 'invalid_client', 'no ticket redemption');
  t.false(await authenticates(server, app.clientId, app.clientSecret), 'no introspection');
  const rs = await fetch(`${server.url}/token/introspection`, {
    method: 'POST', headers: { authorization: `Basic ${Buffer.from('service:service-secret-0123456789-012345').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokens.body.access_token }),
  });
  t.false((await rs.json() as { active: boolean }).active, 'introspection says inactive');
  const bob = await signInToConsole(server, BOB);
  const bobsGroup = await (await bob.browser.fetch(`${server.url}/groups/hiking`)).text();
  t.true(bobsGroup.includes('<li data-client-id="poster">'), 'other apps are offered');
  t.false(bobsGroup.includes(`data-client-id="${bot.clientId}"`), 'a suspended one is not');
  t.regex(await (await alice.browser.fetch(`${server.url}/developers/apps/${bot.clientId}`)).text(), /suspended by the operator/);

  t.true(await server.plaza.admin.suspendClient(bot.clientId, false));
  t.is((await api(server, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: 'back' })).status, 201, 'lifting it restores what it held');
  t.deepEqual(server.serverErrors, []);
});

test('consent names the app\'s developer and website domain, and warns until the operator verifies it', async (t) => {
  const { server } = await setUp(t);
  const bob = await signInToConsole(server, BOB);
  const app = await createApp(server, bob, { kind: 'web', name: 'Bob Photos', website: 'https://photos.bob.example/home', redirect_uris: REDIRECT_URI });
  t.is(app.status, 303);
  const consentPage = async () => {
    const res = await authorize(server, new Browser(), codeRequest({ client_id: app.clientId }, pkce().challenge), { ...ALICE, consent: 'deny' });
    return res.pages.find((p) => p.includes('wants to access your Plaza account'))!;
  };
  const before = await consentPage();
  t.regex(before, /By <strong>Bob Example<\/strong> · photos\.bob\.example/);
  t.regex(before, /Unverified app/);
  t.true(await server.plaza.admin.verifyClient(app.clientId, true));
  const after = await consentPage();
  t.notRegex(after, /Unverified app/);
  t.regex(after, /By <strong>Bob Example<\/strong>/);
  t.deepEqual(server.serverErrors, []);
});
