// Adding an app to a group is the user's own action in Plaza: a third-party app can never get there by itself,
// whatever scopes and grant types it has, and no app adds itself.
import anyTest, { type TestFn } from 'ava';
import { decodeJwt } from 'jose';
import { ACTION_TICKETS, type ActionTicket } from '../../server/action_grants/index.ts';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { tokenRequest } from '../helpers/oauth.ts';
import { FakeJwtHost, HOST_APP_ID } from '../helpers/fake_hosts.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { api, seedSocial, userApiToken, ALL_API_SCOPES, TOKEN_EXCHANGE } from '../helpers/social.ts';
import { codeFor, redeemCode, REDIRECT_URI, WEB } from '../helpers/fixtures.ts';

const test = anyTest as TestFn<{ server: TestServer; receiver: WebhookReceiver; sneakyHooks: WebhookReceiver; signer: FakeJwtHost }>;

const RESOURCE = (server: TestServer) => `${server.url}/api`;

/** A third-party app registered with every grant type, every API scope, a callback and a host. */
const sneaky = (callback: string) => ({
  client_id: 'sneaky', client_secret: 'sneaky-secret-0123456789-0123456789', client_name: 'Sneaky App', redirect_uris: [REDIRECT_URI],
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials', TOKEN_EXCHANGE], response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_post', scope: `openid offline_access ${ALL_API_SCOPES}`,
  callback_uri: callback, plaza_hosts: ['signer'], plaza_host_app_ids: { signer: HOST_APP_ID },
});

test.before(async (t) => {
  const receiver = await new WebhookReceiver().start();
  const sneakyHooks = await new WebhookReceiver().start();
  const signer = await new FakeJwtHost().start();
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1' } });
  await seedSocial(server, receiver);
  await server.plaza.admin.seed({
    hosts: [{ id: 'signer', kind: 'jwt', issuer: signer.issuer, jwks_uri: signer.jwksUri, audience: 'plaza-at-host', algorithms: ['ES256'] }],
    clients: [sneaky(sneakyHooks.url), { ...WEB, client_id: 'home', client_name: 'Plaza Home', callback_uri: receiver.url }],
  });
  t.context = { server, receiver, sneakyHooks, signer };
});
test.after.always(async (t) => {
  await t.context.server.stop();
  await t.context.receiver.stop();
  await t.context.sneakyHooks.stop();
  await t.context.signer.stop();
});
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

const addSneaky = (server: TestServer, token: string) => api(server, 'POST', '/groups/hiking/apps', token, { client_id: 'sneaky', actions: ['messages:read', 'messages:post'] });

test.serial('a third-party app with every scope it can get cannot make Plaza issue it a ticket', async (t) => {
  const { server, sneakyHooks } = t.context;
  const app = sneaky(sneakyHooks.url);
  const creds = { client_id: app.client_id, client_secret: app.client_secret };

  // Authorization code: the user consents to everything the app asks; groups:apps is not among what it gets.
  const { code, verifier } = await codeFor(server, app, { scope: `openid offline_access ${ALL_API_SCOPES}`, resource: RESOURCE(server) });
  const tokens = await redeemCode(server, code, verifier, app, { resource: RESOURCE(server) });
  t.is(tokens.status, 200, JSON.stringify(tokens.body));
  t.false(String(decodeJwt(tokens.body.access_token).scope).split(' ').includes('groups:apps'));
  t.is((await addSneaky(server, tokens.body.access_token)).status, 403);
  const refreshed = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, resource: RESOURCE(server), ...creds });
  t.is(refreshed.status, 200);
  t.false(String(decodeJwt(refreshed.body.access_token).scope).split(' ').includes('groups:apps'));
  t.is((await addSneaky(server, refreshed.body.access_token)).status, 403);

  // Client credentials: no groups:apps, and no user to act for anyway.
  const machine = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'groups:apps', resource: RESOURCE(server), ...creds });
  t.false(String(machine.body.scope ?? '').includes('groups:apps'), JSON.stringify(machine.body));
  if (machine.body.access_token) t.is((await addSneaky(server, machine.body.access_token)).status, 401);

  // Token exchange of a host identity: groups:apps is refused outright.
  const exchanged = await tokenRequest(server, {
    grant_type: TOKEN_EXCHANGE, subject_token: await t.context.signer.token({ sub: 'host-user' }), subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    scope: 'groups:apps', ...creds,
  });
  t.is(exchanged.body.error, 'invalid_scope');

  t.deepEqual(sneakyHooks.received, [], 'no ticket was ever sent to the app');
  const tickets = await server.plaza.store.collection<ActionTicket>(ACTION_TICKETS).find({ clientId: 'sneaky' });
  t.deepEqual(tickets, []);
});

test.serial('tokens a client got while it was first-party stop adding apps once the operator takes the mark away', async (t) => {
  const { server, sneakyHooks } = t.context;
  await server.plaza.admin.createClient({ ...sneaky(sneakyHooks.url), client_id: 'demoted', plaza_first_party: true });
  const { code, verifier } = await codeFor(server, { client_id: 'demoted' }, { scope: 'groups:apps', resource: RESOURCE(server) });
  const token = (await redeemCode(server, code, verifier, { client_id: 'demoted', client_secret: sneaky('').client_secret }, { resource: RESOURCE(server) })).body.access_token;
  t.true(String(decodeJwt(token).scope).split(' ').includes('groups:apps'));
  await server.plaza.admin.createClient({ ...sneaky(sneakyHooks.url), client_id: 'demoted' });
  // A third-party app knows users by pairwise subjects: the token naming the account id no longer names anyone for it.
  const res = await api(server, 'POST', '/groups/hiking/apps', token, { client_id: 'poster', actions: ['messages:read'] });
  t.is(res.status, 401);
  t.is(res.body.code, 'invalid_token');
  t.regex(res.body.detail, /subject/);
});

test.serial('no app adds or removes itself, not even a first-party one', async (t) => {
  const { server, receiver } = t.context;
  const home = await userApiToken(server, undefined, 'groups:apps', { ...WEB, client_id: 'home' });
  const self = await api(server, 'POST', '/groups/hiking/apps', home, { client_id: 'home', actions: ['messages:post'] });
  t.is(self.status, 403);
  t.is(self.type, 'application/problem+json');
  t.is((await api(server, 'DELETE', '/groups/hiking/apps/home', home)).status, 403);
  const hook = receiver.next();
  t.is((await api(server, 'POST', '/groups/hiking/apps', home, { client_id: 'poster', actions: ['messages:post'] })).status, 201, 'a first-party client adds another app');
  await hook;
});

test.serial('plaza_first_party is the operator\'s to set', async (t) => {
  const { server } = t.context;
  const mark = { ...WEB, client_id: 'self-service' };
  await t.throwsAsync(server.plaza.oidc.clients.register(mark, 'developer'), { name: 'InputError', code: 'invalid_client_metadata', message: /operator only/ });
  await t.throwsAsync(server.plaza.oidc.clients.register({ ...mark, plaza_first_party: false }, 'developer'), { name: 'InputError', code: 'invalid_client_metadata' });
  t.is(await server.plaza.oidc.clients.get('self-service'), undefined);
  await t.throwsAsync(server.plaza.admin.createClient({ ...mark, plaza_first_party: 'yes' }), { name: 'InputError', code: 'invalid_client_metadata', message: /must be a boolean/ });
  // oidc-provider's own registration endpoints (RFC 7591, 7592) validate with the request: the mark is refused there.
  const { Client } = server.plaza.oidc.provider as unknown as { Client: new (metadata: unknown, ctx: unknown) => unknown };
  t.throws(() => new Client(mark, { oidc: {} }), { message: /invalid_client_metadata/ });
});
