// Action grants end to end over HTTP: a user adds an app to a group, the app receives a signed webhook with an action
// ticket, exchanges it, and acts as the user there and only there.
// Serial: the tests share one webhook receiver and tell tickets apart by arrival order.
import anyTest, { type TestFn } from 'ava';
import { decodeJwt } from 'jose';
import { Webhook } from 'standardwebhooks';
import { ACTION_TICKETS, type ActionTicket } from '../../server/action_grants/index.ts';
import { AUDIT_LOG, type AuditEntry } from '../../server/social/index.ts';
import { sha256url } from '../../server/store/index.ts';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { Browser, csrfOf, dpopKey, dpopProof, athOf, tokenRequest } from '../helpers/oauth.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { api, redeemTicket, seedSocial, userApiToken, ACTION_TICKET, TOKEN_EXCHANGE, type App } from '../helpers/social.ts';
import { codeFor, redeemCode, ALICE, BOB, WEB } from '../helpers/fixtures.ts';

const test = anyTest as TestFn<{ server: TestServer; receiver: WebhookReceiver; poster: App; other: App; alice: string; bob: string }>;

test.before(async (t) => {
  const receiver = await new WebhookReceiver().start();
  // Store calls yield like a database server's, so parallel redemptions really race.
  const server = await startServer({ latency: true, env: { ALLOW_INSECURE_CALLBACKS: '1' } });
  const { poster, other } = await seedSocial(server, receiver);
  t.context = { server, receiver, poster, other, alice: await userApiToken(server), bob: await userApiToken(server, BOB) };
});
test.after.always(async (t) => {
  await t.context.server.stop();
  await t.context.receiver.stop();
});
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

/** alice adds the app to a group; returns the ticket from the webhook the app received. */
async function addApp(t: { context: { server: TestServer; receiver: WebhookReceiver; alice: string } }, clientId: string, groupId: string, actions: string[]) {
  const hook = t.context.receiver.next();
  const res = await api(t.context.server, 'POST', `/groups/${groupId}/apps`, t.context.alice, { client_id: clientId, actions });
  if (res.status !== 201) throw new Error(`add app: ${res.status} ${JSON.stringify(res.body)}`);
  const received = await hook;
  return { received, ticket: JSON.parse(received.body).data.ticket as string, added: res.body };
}

async function actionToken(t: Parameters<typeof addApp>[0] & { context: { poster: App } }, groupId: string, actions: string[]) {
  const { ticket } = await addApp(t, t.context.poster.client_id, groupId, actions);
  const res = await redeemTicket(t.context.server, t.context.poster, ticket);
  if (res.status !== 200) throw new Error(`redeem: ${JSON.stringify(res.body)}`);
  return res.body;
}

function expectProblem(t: { is: (a: unknown, b: unknown, m?: string) => void }, res: Awaited<ReturnType<typeof api>>, status: number) {
  t.is(res.status, status, JSON.stringify(res.body));
  t.is(res.type, 'application/problem+json');
  t.is(res.body.status, status);
  t.is(typeof res.body.detail, 'string');
}

test.serial('the full path: add app, verified webhook, ticket exchange, message posted as the user via the app', async (t) => {
  const { server, poster } = t.context;
  const me = await api(server, 'GET', '/me', t.context.alice);
  // The app knows alice by its own pairwise sub; Plaza's first-party web app by her account id.
  const seen = await server.plaza.oidc.subjects.of(poster.client_id, me.body.sub);
  t.not(seen, me.body.sub);
  const { received, ticket, added } = await addApp(t, poster.client_id, 'hiking', ['messages:post']);
  t.like(added, { group_id: 'hiking', client_id: 'poster', client_name: 'Poster App', actions: ['messages:post'] });

  const payload = new Webhook(poster.webhook_secret).verify(received.body, received.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
  t.is(payload.type, 'action.granted');
  t.like(payload.data, { user: seen, group_id: 'hiking', actions: ['messages:post'] });
  t.true(Date.parse(payload.data.expires_at as string) > Date.now());
  t.regex(received.headers['webhook-id'] as string, /^msg_/);
  t.regex(received.headers['webhook-signature'] as string, /^v1,/);

  const tokens = await redeemTicket(server, poster, ticket);
  t.is(tokens.status, 200);
  t.is(tokens.body.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
  t.is(tokens.body.token_type, 'Bearer');
  t.true(tokens.body.expires_in > 0);
  t.truthy(tokens.body.refresh_token);
  t.deepEqual(tokens.body.authorization_details, [{ type: 'group_messages', group_id: 'hiking', actions: ['messages:post'] }]);
  const claims = decodeJwt(tokens.body.access_token);
  t.is(claims.sub, seen);
  t.is(claims.client_id, 'poster');
  t.deepEqual(claims.act, { sub: 'poster' });
  t.deepEqual(claims.authorization_details, [{ type: 'group_messages', group_id: 'hiking', actions: ['messages:post'] }]);
  t.is(claims.aud, `${server.url}/api`);
  t.is(claims.scope, undefined, 'no scope: the token can do only what authorization_details says');

  const posted = await api(server, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: 'Hello from the app' });
  t.is(posted.status, 201);
  t.like(posted.body, { group_id: 'hiking', author: seen, via: 'poster', text: 'Hello from the app' });
  t.regex(posted.headers.get('location')!, /\/api\/groups\/hiking\/messages\//);
  const list = await api(server, 'GET', '/groups/hiking/messages', t.context.alice);
  t.like(list.body.find((m: { id: string }) => m.id === posted.body.id), { author: me.body.sub, via: 'poster' }, 'the first-party app sees the account id');
  const located = await fetch(posted.headers.get('location')!, { headers: { authorization: `Bearer ${t.context.alice}` } });
  t.is(located.status, 200, 'the Location of the post answers');
  t.deepEqual(await located.json(), { ...posted.body, author: me.body.sub });
  expectProblem(t, await api(server, 'GET', `/groups/chess/messages/${posted.body.id}`, t.context.alice), 404);

  const refreshed = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: poster.client_id, client_secret: poster.client_secret });
  t.is(refreshed.status, 200);
  const refreshedClaims = decodeJwt(refreshed.body.access_token);
  t.deepEqual(refreshedClaims.authorization_details, claims.authorization_details, 'a refreshed token keeps the same limits');
  t.deepEqual(refreshedClaims.act, { sub: 'poster' });
  t.is((await api(server, 'POST', '/groups/hiking/messages', refreshed.body.access_token, { text: 'after refresh' })).status, 201);
});

test.serial('a tampered webhook body fails signature verification', async (t) => {
  const { received } = await addApp(t, t.context.poster.client_id, 'hiking', ['messages:post']);
  const verifier = new Webhook(t.context.poster.webhook_secret);
  const tampered = received.body.replace('"hiking"', '"chess"');
  t.throws(() => verifier.verify(tampered, received.headers as Record<string, string>));
  t.throws(() => new Webhook(t.context.other.webhook_secret).verify(received.body, received.headers as Record<string, string>), undefined, 'another secret does not verify it');
});

test.serial('a replayed ticket is refused and revokes what the first redemption issued', async (t) => {
  const { server, poster } = t.context;
  const { ticket } = await addApp(t, poster.client_id, 'hiking', ['messages:post']);
  const first = await redeemTicket(server, poster, ticket);
  t.is(first.status, 200);
  t.is((await api(server, 'POST', '/groups/hiking/messages', first.body.access_token, { text: 'one' })).status, 201);
  const replay = await redeemTicket(server, poster, ticket);
  t.is(replay.status, 400);
  t.is(replay.body.error, 'invalid_grant');
  t.regex(replay.body.error_description, /already used/);
  const after = await api(server, 'POST', '/groups/hiking/messages', first.body.access_token, { text: 'two' });
  expectProblem(t, after, 401);
  const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: poster.client_id, client_secret: poster.client_secret });
  t.is(refresh.body.error, 'invalid_grant');
});

test.serial('parallel redemptions of one ticket: exactly one token', async (t) => {
  const { server, poster } = t.context;
  const { ticket } = await addApp(t, poster.client_id, 'hiking', ['messages:post']);
  const results = await Promise.all(Array.from({ length: 6 }, () => redeemTicket(server, poster, ticket)));
  t.is(results.filter((r) => r.status === 200).length, 1);
  t.true(results.filter((r) => r.status !== 200).every((r) => r.body.error === 'invalid_grant'));
});

test.serial('expired, unknown and foreign tickets are invalid_grant; a foreign attempt does not burn the ticket', async (t) => {
  const { server, poster, other } = t.context;
  const { ticket } = await addApp(t, poster.client_id, 'hiking', ['messages:post']);
  const foreign = await redeemTicket(server, other, ticket);
  const unknown = await redeemTicket(server, poster, 'at_made-up');
  t.is(unknown.body.error, 'invalid_grant');
  t.deepEqual(foreign.body, unknown.body, 'the wrong client learns nothing of a ticket that exists');
  t.is((await redeemTicket(server, poster, ticket)).status, 200, 'the right client still can');

  const expiring = (await addApp(t, poster.client_id, 'hiking', ['messages:post'])).ticket;
  const tickets = server.plaza.store.collection<ActionTicket>(ACTION_TICKETS);
  t.truthy(await tickets.update(sha256url(expiring), { expiresAt: Date.now() - 1 }));
  const expired = await redeemTicket(server, poster, expiring);
  t.is(expired.body.error, 'invalid_grant');
  t.regex(expired.body.error_description, /unknown or expired/);
});

test.serial('token exchange: unsupported token types and missing parameters are invalid_request', async (t) => {
  const { server, poster } = t.context;
  const base = { grant_type: TOKEN_EXCHANGE, client_id: poster.client_id, client_secret: poster.client_secret };
  const unsupported = await tokenRequest(server, { ...base, subject_token: 'x', subject_token_type: 'urn:example:unknown' });
  t.is(unsupported.body.error, 'invalid_request');
  t.regex(unsupported.body.error_description, /unsupported subject_token_type/);
  t.is((await tokenRequest(server, { ...base, subject_token_type: ACTION_TICKET })).body.error, 'invalid_request');
  t.is((await tokenRequest(server, { ...base, subject_token: 'x' })).body.error, 'invalid_request');
  const wrongRequested = await tokenRequest(server, { ...base, subject_token: 'x', subject_token_type: ACTION_TICKET, requested_token_type: 'urn:ietf:params:oauth:token-type:id_token' });
  t.is(wrongRequested.body.error, 'invalid_request');
});

test.serial('the app can act only in that group, only for those actions', async (t) => {
  const { server } = t.context;
  const token = (await actionToken(t, 'hiking', ['messages:post'])).access_token;
  expectProblem(t, await api(server, 'POST', '/groups/chess/messages', token, { text: 'wrong group' }), 403);
  const read = await api(server, 'GET', '/groups/hiking/messages', token);
  expectProblem(t, read, 403);
  t.is(read.body.code, 'insufficient_scope');
  expectProblem(t, await api(server, 'GET', '/groups', token), 403);
  expectProblem(t, await api(server, 'POST', '/groups/hiking/apps', token, { client_id: 'poster', actions: ['messages:read'] }), 403);
  const reader = (await actionToken(t, 'hiking', ['messages:read'])).access_token;
  t.is((await api(server, 'GET', '/groups/hiking/messages', reader)).status, 200);
  expectProblem(t, await api(server, 'POST', '/groups/hiking/messages', reader, { text: 'cannot post' }), 403);
});

test.serial('removing the app revokes its tokens at once', async (t) => {
  const { server } = t.context;
  const tokens = await actionToken(t, 'chess', ['messages:post']);
  t.is((await api(server, 'POST', '/groups/chess/messages', tokens.access_token, { text: 'before' })).status, 201);
  const apps = await api(server, 'GET', '/groups/chess/apps', t.context.alice);
  t.true(apps.body.some((a: { client_id: string }) => a.client_id === 'poster'));
  t.is((await api(server, 'DELETE', '/groups/chess/apps/poster', t.context.alice)).status, 204);
  // RFC 6750: a revoked token is invalid_token (401).
  expectProblem(t, await api(server, 'POST', '/groups/chess/messages', tokens.access_token, { text: 'after' }), 401);
  t.is((await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'poster', client_secret: t.context.poster.client_secret })).body.error, 'invalid_grant');
  expectProblem(t, await api(server, 'DELETE', '/groups/chess/apps/poster', t.context.alice), 404);
});

test.serial('revoking an action grant on My apps takes the app back in that group: a ticket still waiting brings nothing back', async (t) => {
  const { server, poster } = t.context;
  const browser = new Browser();
  await codeFor(server, WEB, {}, { browser, ...ALICE });
  const tokens = await actionToken(t, 'chess', ['messages:post']);
  const { ticket: waiting } = await addApp(t, poster.client_id, 'chess', ['messages:post']);
  const grantId = String(decodeJwt(tokens.access_token).grant_id);
  const page = await (await browser.fetch(`${server.url}/account/apps`)).text();
  t.is((await browser.postForm(`${server.url}/account/apps/${grantId}/revoke`, { _csrf: csrfOf(page) })).status, 303);
  expectProblem(t, await api(server, 'POST', '/groups/chess/messages', tokens.access_token, { text: 'after revoking' }), 401);
  const redeemed = await redeemTicket(server, poster, waiting);
  t.is(redeemed.body.error, 'invalid_grant', 'the ticket minted before the revocation is void');
  const apps = await api(server, 'GET', '/groups/chess/apps', t.context.alice);
  t.false(apps.body.some((a: { client_id: string }) => a.client_id === poster.client_id), 'the app is no longer in the group');
});

test.serial('leaving the group, or being removed, ends what apps got there: rejoining revives nothing', async (t) => {
  const { server, poster } = t.context;
  const rejoin = () => server.plaza.admin.upsertGroup({ id: 'hiking', name: 'Weekend Hiking', members: [BOB.username] });
  const bobsAppTokens = async () => {
    const hook = t.context.receiver.next();
    t.is((await api(server, 'POST', '/groups/hiking/apps', t.context.bob, { client_id: 'poster', actions: ['messages:post'] })).status, 201);
    const tokens = await redeemTicket(server, poster, JSON.parse((await hook).body).data.ticket);
    t.is((await api(server, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: 'bob via app' })).status, 201);
    return tokens.body;
  };
  const expectDead = async (tokens: Record<string, string>) => {
    expectProblem(t, await api(server, 'POST', '/groups/hiking/messages', tokens.access_token, { text: 'after rejoining' }), 401);
    const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: poster.client_id, client_secret: poster.client_secret });
    t.is(refresh.body.error, 'invalid_grant');
  };
  const bobSub = (await server.plaza.oidc.accounts.findByUsername(BOB.username))!.id;

  // Removed by the operator (admin API and CLI).
  const removed = await bobsAppTokens();
  t.true(await server.plaza.admin.removeMember('hiking', BOB.username));
  expectProblem(t, await api(server, 'POST', '/groups/hiking/messages', removed.access_token, { text: 'after leaving' }), 401);
  await rejoin();
  await expectDead(removed);
  t.deepEqual((await api(server, 'GET', '/groups/hiking/apps', t.context.bob)).body, [], 'the app is no longer in the group for bob');

  // Leaving on the group page.
  const left = await bobsAppTokens();
  const browser = new Browser();
  await codeFor(server, WEB, {}, { browser, ...BOB });
  const page = await (await browser.fetch(`${server.url}/groups/hiking`)).text();
  t.is((await browser.postForm(`${server.url}/groups/hiking/leave`, { _csrf: csrfOf(page) })).status, 303);
  await rejoin();
  await expectDead(left);

  const audit = await server.plaza.store.collection<AuditEntry>(AUDIT_LOG).find({ sub: bobSub });
  t.is(audit.filter((e) => e.action === 'app.removed' && e.detail === 'poster (membership ended)').length, 2);
});

test.serial('a DPoP proof at redemption binds the token; it is then useless as Bearer or with another key', async (t) => {
  const { server, poster } = t.context;
  const { ticket } = await addApp(t, poster.client_id, 'hiking', ['messages:post']);
  const key = await dpopKey();
  const tokens = await redeemTicket(server, poster, ticket, { dpop: await dpopProof(key, 'POST', `${server.url}/token`) });
  t.is(tokens.status, 200);
  t.is(tokens.body.token_type, 'DPoP');
  const at = tokens.body.access_token;
  t.deepEqual(decodeJwt(at).cnf, { jkt: key.jkt });
  const url = `${server.url}/api/groups/hiking/messages`;
  const withProof = async (k: typeof key, extra: Record<string, unknown> = {}) => ({ authorization: `DPoP ${at}`, dpop: await dpopProof(k, 'POST', url, { ath: athOf(at), ...extra }) });
  const ok = await fetch(url, { method: 'POST', headers: { ...await withProof(key), 'content-type': 'application/json' }, body: JSON.stringify({ text: 'bound' }) });
  t.is(ok.status, 201);
  expectProblem(t, await api(server, 'POST', '/groups/hiking/messages', at, { text: 'as bearer' }), 401);
  const other = await fetch(url, { method: 'POST', headers: { ...await withProof(await dpopKey()), 'content-type': 'application/json' }, body: JSON.stringify({ text: 'other key' }) });
  t.is(other.status, 401);
  const wrongAth = await fetch(url, { method: 'POST', headers: { ...await withProof(key, { ath: 'x' }), 'content-type': 'application/json' }, body: JSON.stringify({ text: 'wrong ath' }) });
  t.is(wrongAth.status, 401);
  const badProof = await redeemTicket(server, poster, (await addApp(t, poster.client_id, 'hiking', ['messages:post'])).ticket, { dpop: 'not-a-jwt' });
  t.is(badProof.body.error, 'invalid_dpop_proof');
});

test.serial('adding an app: bad input gets a problem document', async (t) => {
  const { server, alice } = t.context;
  expectProblem(t, await api(server, 'POST', '/groups/hiking/apps', alice, { client_id: 'nobody', actions: ['messages:post'] }), 400);
  expectProblem(t, await api(server, 'POST', '/groups/hiking/apps', alice, { client_id: 'spa', actions: ['messages:post'] }), 400);
  expectProblem(t, await api(server, 'POST', '/groups/hiking/apps', alice, { client_id: 'poster', actions: ['admin'] }), 400);
  expectProblem(t, await api(server, 'POST', '/groups/hiking/apps', alice, { client_id: 'poster', actions: [] }), 400);
  expectProblem(t, await api(server, 'POST', '/groups/hiking/apps', alice, { client_id: { $ne: null }, actions: ['messages:post'] }), 400);
  expectProblem(t, await api(server, 'POST', '/groups/nope/apps', alice, { client_id: 'poster', actions: ['messages:post'] }), 403);
  const codeOf = async (body: unknown) => (await api(server, 'POST', '/groups/hiking/apps', alice, body)).body.code;
  t.is(await codeOf({ client_id: 'nobody', actions: ['messages:post'] }), 'invalid_client_id');
  t.is(await codeOf({ actions: ['messages:post'] }), 'invalid_client_id');
  t.is(await codeOf({ client_id: 'poster', actions: ['admin'] }), 'invalid_actions');
  t.is(await codeOf({ client_id: 'poster' }), 'invalid_actions');
  expectProblem(t, await api(server, 'POST', '/groups/hiking/messages', alice, { text: '' }), 400);
  expectProblem(t, await api(server, 'POST', '/groups/hiking/messages', alice, { text: 'x'.repeat(2001) }), 400);
  expectProblem(t, await api(server, 'POST', '/groups/hiking/messages', alice, [1]), 400);
  expectProblem(t, await api(server, 'GET', '/nothing', alice), 404);
  const propfind = await api(server, 'PROPFIND', '/me', alice);
  expectProblem(t, propfind, 405);
  t.is(propfind.headers.get('allow'), 'HEAD, GET', 'a 405 names the methods the path has (RFC 9110)');
  const put = await api(server, 'PUT', '/groups/hiking/messages', alice, { text: 'x' });
  expectProblem(t, put, 405);
  t.is(put.headers.get('allow'), 'HEAD, GET, POST');
});

test.serial('the protected API refuses missing, foreign and machine tokens', async (t) => {
  const { server } = t.context;
  const none = await api(server, 'GET', '/me', undefined);
  expectProblem(t, none, 401);
  t.regex(none.headers.get('www-authenticate')!, /Bearer/);
  expectProblem(t, await api(server, 'GET', '/me', 'not.a.jwt'), 401);
  const cc = await tokenRequest(server, { grant_type: 'client_credentials', client_id: 'service', client_secret: 'service-secret-0123456789-012345', scope: 'groups:read' });
  // RFC 6750: a token the API cannot use at all is invalid_token (401), whatever its signature.
  expectProblem(t, await api(server, 'GET', '/groups', cc.body.access_token), 401);
  const admin = await tokenRequest(server, { grant_type: 'client_credentials', client_id: 'admin-tool', client_secret: 'admin-secret-0123456789-01234567', scope: 'admin' });
  expectProblem(t, await api(server, 'GET', '/me', admin.body.access_token), 401);
  const { code, verifier } = await codeFor(server, WEB, { scope: 'openid profile' });
  const idToken = (await redeemCode(server, code, verifier)).body.id_token;
  expectProblem(t, await api(server, 'GET', '/me', idToken), 401);
  const me = await api(server, 'GET', '/me', t.context.alice);
  t.like(me.body, { username: ALICE.username, name: ALICE.name });
});

test.serial('the audit log records what was done on the user\'s behalf, and through which app', async (t) => {
  const { server } = t.context;
  const token = (await actionToken(t, 'hiking', ['messages:post'])).access_token;
  await api(server, 'POST', '/groups/hiking/messages', token, { text: 'audited' });
  const me = await api(server, 'GET', '/me', t.context.alice);
  const entries = await server.plaza.store.collection<AuditEntry>(AUDIT_LOG).find({ sub: me.body.sub });
  t.true(entries.some((e) => e.action === 'message.posted' && e.via === 'poster'));
  t.true(entries.some((e) => e.action === 'app.added'));
  t.true(entries.some((e) => e.action === 'app.token_issued' && e.via === 'poster'));
});

test.serial('adding the app again with fewer actions takes back what went beyond them; adding more keeps what it has', async (t) => {
  const { server, poster } = t.context;
  const both = await actionToken(t, 'chess', ['messages:post', 'messages:read']);
  const pending = (await addApp(t, poster.client_id, 'chess', ['messages:post', 'messages:read'])).ticket;
  const readOnly = (await addApp(t, poster.client_id, 'chess', ['messages:read'])).ticket;
  expectProblem(t, await api(server, 'POST', '/groups/chess/messages', both.access_token, { text: 'beyond' }), 401);
  const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: both.refresh_token, client_id: poster.client_id, client_secret: poster.client_secret });
  t.is(refresh.body.error, 'invalid_grant');
  t.is((await redeemTicket(server, poster, pending)).body.error, 'invalid_grant', 'a ticket for more than the user now allows is void');
  const reader = await redeemTicket(server, poster, readOnly);
  t.is(reader.status, 200);
  await addApp(t, poster.client_id, 'chess', ['messages:read', 'messages:post']);
  t.is((await api(server, 'GET', '/groups/chess/messages', reader.body.access_token)).status, 200);
});
