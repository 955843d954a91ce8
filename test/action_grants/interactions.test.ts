// Interaction grants end to end over HTTP with a local webhook receiver: a member's command, mention or share in a
// group where a member let the app respond sends the app one `interaction.created` webhook with one ticket; the
// ticket buys a token that may only reply to that message, at most INTERACTION_MAX_USES times, for a short while.
// Serial: the tests share one webhook receiver and tell webhooks apart by arrival order.
import anyTest, { type TestFn } from 'ava';
import { decodeJwt } from 'jose';
import { Webhook } from 'standardwebhooks';
import { ACTION_TICKETS, type ActionTicket } from '../../server/action_grants/index.ts';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { Browser, csrfOf } from '../helpers/oauth.ts';
import { WebhookReceiver, type ReceivedWebhook } from '../helpers/webhook_receiver.ts';
import { api, redeemInteraction, redeemTicket, seedSocial, userApiToken, weatherBot, type App } from '../helpers/social.ts';
import { codeFor, ALICE, BOB, WEB } from '../helpers/fixtures.ts';

type Context = { server: TestServer; receiver: WebhookReceiver; poster: App; weather: App; news: App; alice: string; bob: string; aliceSub: string };
const test = anyTest as TestFn<Context>;
type T = { context: Context };

test.before(async (t) => {
  const receiver = await new WebhookReceiver().start();
  // Store calls yield like a database server's, so parallel requests really race.
  const server = await startServer({ latency: true, env: { ALLOW_INSECURE_CALLBACKS: '1' } });
  const { poster } = await seedSocial(server, receiver);
  const weather = weatherBot(receiver);
  const news = weatherBot(receiver, 'news', 'news');
  await server.plaza.admin.seed({ clients: [weather, news] });
  const alice = await userApiToken(server);
  // How the weather bot knows alice: its own pairwise sub for her account.
  const aliceSub = await server.plaza.oidc.subjects.of('weather', (await api(server, 'GET', '/me', alice)).body.sub);
  t.context = { server, receiver, poster, weather, news, alice, bob: await userApiToken(server, BOB), aliceSub };
  // alice lets the weather bot respond when asked in hiking, with no standing action: no webhook for that.
  const added = await api(server, 'POST', '/groups/hiking/apps', alice, { client_id: 'weather', actions: [], respond: true });
  if (added.status !== 201) throw new Error(JSON.stringify(added.body));
});
test.after.always(async (t) => {
  await t.context.server.stop();
  await t.context.receiver.stop();
});
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

interface Interaction { type: string; data: { ticket: string; trigger: { type: string; name?: string }; arguments: string; message: { id: string; text: string; author: string }; group: { id: string; name: string }; user: string; actions: string[]; expires_at: string } }

const parse = (hook: ReceivedWebhook) => JSON.parse(hook.body) as Interaction;

/** Posts as the user (through Plaza's first-party client) and returns the interaction webhook it caused. */
async function ask(t: T, text: string, { token = t.context.alice, group = 'hiking' } = {}) {
  const hook = t.context.receiver.next();
  const posted = await api(t.context.server, 'POST', `/groups/${group}/messages`, token, { text });
  if (posted.status !== 201) throw new Error(JSON.stringify(posted.body));
  return { posted: posted.body, hook: await hook };
}

async function interactionToken(t: T, text = '/weather Berlin', options?: Parameters<typeof ask>[2]) {
  const { posted, hook } = await ask(t, text, options);
  const tokens = await redeemInteraction(t.context.server, t.context.weather, parse(hook).data.ticket);
  if (tokens.status !== 200) throw new Error(JSON.stringify(tokens.body));
  return { posted, token: tokens.body.access_token as string, tokens: tokens.body };
}

const messageIds = async (t: T, group = 'hiking') => (await api(t.context.server, 'GET', `/groups/${group}/messages`, t.context.alice)).body.map((m: { id: string }) => m.id).sort();

test.serial('a command: one signed webhook, one ticket, a token for one message; the reply posts as the user, via the app', async (t) => {
  const { server, weather, aliceSub } = t.context;
  const { posted, hook } = await ask(t, '/weather Berlin');
  const event = new Webhook(weather.webhook_secret).verify(hook.body, hook.headers as Record<string, string>) as Interaction;
  t.is(event.type, 'interaction.created');
  t.like(event.data, {
    trigger: { type: 'command', name: 'weather' }, arguments: 'Berlin', group: { id: 'hiking', name: 'Weekend Hiking' }, user: aliceSub, actions: ['messages:post'],
    message: { id: posted.id, text: '/weather Berlin', author: aliceSub },
  });
  t.regex(event.data.ticket, /^it_/);
  t.true(Date.parse(event.data.expires_at) > Date.now());

  const tokens = await redeemInteraction(server, weather, event.data.ticket);
  t.is(tokens.status, 200, JSON.stringify(tokens.body));
  const detail = { type: 'group_interaction', group_id: 'hiking', in_reply_to: posted.id, actions: ['messages:post'], max_uses: 5 };
  t.deepEqual(tokens.body.authorization_details, [detail]);
  t.is(tokens.body.refresh_token, undefined, 'no refresh token');
  t.true(tokens.body.expires_in <= 900 && tokens.body.expires_in > 0);
  const claims = decodeJwt(tokens.body.access_token);
  t.deepEqual(claims.authorization_details, [detail]);
  t.deepEqual(claims.act, { sub: 'weather' });
  t.is(claims.sub, aliceSub);
  t.is(claims.scope, undefined);
  t.true(claims.exp! - claims.iat! <= 900);

  const reply = await api(server, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: 'Berlin: 21°C, sunny', reply_to: posted.id });
  t.is(reply.status, 201, JSON.stringify(reply.body));
  t.like(reply.body, { author: aliceSub, via: 'weather', reply_to: posted.id });
});

test.serial('a mention and a share each produce one webhook and one ticket, and the reply posts', async (t) => {
  const { server, weather, aliceSub } = t.context;
  const mention = await ask(t, 'hey @weatherbot, rain tomorrow?');
  t.like(parse(mention.hook).data, { trigger: { type: 'mention', name: 'weatherbot' }, arguments: 'hey @weatherbot, rain tomorrow?', message: { id: mention.posted.id } });

  // alice shares bob's message: the interaction answers it, as alice.
  const bobs = await api(server, 'POST', '/groups/hiking/messages', t.context.bob, { text: 'Going up the Brocken on Sunday' });
  const hook = t.context.receiver.next();
  t.is((await api(server, 'POST', `/groups/hiking/messages/${bobs.body.id}/share`, t.context.alice, { client_id: 'weather' })).status, 204);
  const shared = parse(await hook);
  t.like(shared.data, { trigger: { type: 'share' }, message: { id: bobs.body.id }, user: aliceSub });

  for (const [ticket, messageId] of [[parse(mention.hook).data.ticket, mention.posted.id], [shared.data.ticket, bobs.body.id]]) {
    const tokens = await redeemInteraction(server, weather, ticket);
    t.is(tokens.status, 200);
    const reply = await api(server, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: 'Sunny', reply_to: messageId });
    t.like(reply.body, { author: aliceSub, via: 'weather', reply_to: messageId });
  }
  const received = t.context.receiver.received.length;
  await ask(t, '/weather Oslo');
  t.is(t.context.receiver.received.length, received + 1, 'one message, one webhook');
});

test.serial('the token does nothing else: not a post that is no reply, nor a reply to another message, nor another group, nor reading', async (t) => {
  const { server } = t.context;
  const { posted, token } = await interactionToken(t);
  const other = await api(server, 'POST', '/groups/hiking/messages', t.context.alice, { text: 'another message' });
  const before = { hiking: await messageIds(t), chess: await messageIds(t, 'chess') };
  const refused = [
    await api(server, 'POST', '/groups/hiking/messages', token, { text: 'not a reply' }),
    await api(server, 'POST', '/groups/hiking/messages', token, { text: 'wrong message', reply_to: other.body.id }),
    await api(server, 'POST', '/groups/chess/messages', token, { text: 'other group', reply_to: posted.id }),
  ];
  for (const res of refused) {
    t.is(res.status, 403, JSON.stringify(res.body));
    t.is(res.body.code, 'insufficient_scope');
  }
  t.is((await api(server, 'GET', '/groups/hiking/messages', token)).status, 403);
  t.is((await api(server, 'GET', '/groups', token)).status, 403);
  t.is((await api(server, 'POST', '/groups/hiking/apps', token, { client_id: 'poster', actions: ['messages:post'] })).status, 403);
  t.deepEqual({ hiking: await messageIds(t), chess: await messageIds(t, 'chess') }, before, 'nothing stored');
  t.is((await api(server, 'POST', '/groups/hiking/messages', token, { text: 'the answer', reply_to: posted.id })).status, 201, 'refusals spent no use');
});

test.serial('at most max_uses replies: the sixth is refused and not stored', async (t) => {
  const { server } = t.context;
  const { posted, token } = await interactionToken(t, '/weather Paris');
  for (let i = 1; i <= 5; i += 1) t.is((await api(server, 'POST', '/groups/hiking/messages', token, { text: `part ${i}`, reply_to: posted.id })).status, 201);
  const before = await messageIds(t);
  const sixth = await api(server, 'POST', '/groups/hiking/messages', token, { text: 'part 6', reply_to: posted.id });
  t.is(sixth.status, 403);
  t.regex(sixth.body.detail, /uses are all taken/);
  t.deepEqual(await messageIds(t), before, 'nothing stored');
});

test.serial('a ticket is redeemed once, by its app only, and only as an interaction ticket', async (t) => {
  const { server, weather, news, poster } = t.context;
  const { hook } = await ask(t, '/weather Rome');
  const { ticket } = parse(hook).data;
  const foreign = await redeemInteraction(server, news, ticket);
  t.is(foreign.body.error, 'invalid_grant');
  t.regex(foreign.body.error_description, /unknown or expired/);
  t.is((await redeemTicket(server, weather, ticket)).body.error, 'invalid_grant', 'not as an action ticket');
  t.is((await redeemInteraction(server, poster, ticket)).body.error, 'invalid_grant');
  const first = await redeemInteraction(server, weather, ticket);
  t.is(first.status, 200, 'the failed attempts did not burn it');
  const second = await redeemInteraction(server, weather, ticket);
  t.is(second.body.error, 'invalid_grant');
  t.regex(second.body.error_description, /already used/);
  t.is((await api(server, 'POST', '/groups/hiking/messages', first.body.access_token, { text: 'x', reply_to: parse(hook).data.message.id })).status, 401,
    'a replayed ticket revokes what the first redemption issued');
});

test.serial('no trigger where no member let the app respond, nor from what an app posts as the user', async (t) => {
  const { server, poster } = t.context;
  const added = t.context.receiver.next();
  await api(server, 'POST', '/groups/hiking/apps', t.context.alice, { client_id: 'poster', actions: ['messages:post'] });
  const posterTokens = await redeemTicket(server, poster, JSON.parse((await added).body).data.ticket);
  const hook = t.context.receiver.next();
  // chess: the weather bot was never let in. An ordinary message, no webhook, no ticket.
  const plain = await api(server, 'POST', '/groups/chess/messages', t.context.alice, { text: '/weather Vienna' });
  t.is(plain.status, 201);
  // An app with a standing grant posts a command as alice: it must not make another app act as her.
  t.is((await api(server, 'POST', '/groups/hiking/messages', posterTokens.body.access_token, { text: '/weather Madrid' })).status, 201);
  // The next webhook is the one this causes: the two above caused none.
  await api(server, 'POST', '/groups/hiking/messages', t.context.alice, { text: '/weather Lisbon' });
  t.is(parse(await hook).data.arguments, 'Lisbon');
  t.is((await api(server, 'POST', `/groups/chess/messages/${plain.body.id}/share`, t.context.alice, { client_id: 'weather' })).body.code, 'invalid_client_id');
});

test.serial('command and mention names are unique among the apps that respond in a group', async (t) => {
  const { server } = t.context;
  const impostor = weatherBot(t.context.receiver, 'impostor', 'weather');
  await server.plaza.admin.seed({ clients: [impostor] });
  const refused = await api(server, 'POST', '/groups/hiking/apps', t.context.bob, { client_id: 'impostor', actions: [], respond: true });
  t.is(refused.status, 409);
  t.is(refused.body.code, 'trigger_conflict');
  t.regex(refused.body.detail, /\/weather/);
  t.is((await api(server, 'POST', '/groups/hiking/apps', t.context.bob, { client_id: 'news', actions: [], respond: true })).status, 201, 'other names are free');
  t.is((await api(server, 'POST', '/groups/chess/apps', t.context.alice, { client_id: 'impostor', actions: [], respond: true })).status, 201, 'in another group too');
});

test.serial('registration checks triggers: bad names, actions, duplicates and unknown members are refused', async (t) => {
  const { server, receiver } = t.context;
  const bad = (triggers: unknown) => ({ ...weatherBot(receiver, 'bad-bot'), plaza_triggers: triggers });
  for (const triggers of [{ commands: [{ name: 'Weather!', actions: ['messages:post'] }] }, { commands: [{ name: 'w', actions: ['messages:read'] }] },
    { commands: [{ name: 'w', actions: ['messages:post'] }, { name: 'w', actions: ['messages:post'] }] }, { mention: { name: 'x' } }, { unknown: true }]) {
    await t.throwsAsync(server.plaza.admin.seed({ clients: [bad(triggers)] }), undefined, JSON.stringify(triggers));
  }
  t.is(await server.plaza.oidc.clients.get('bad-bot'), undefined);
});

test.serial('a reply after the token\'s lifetime is refused (INTERACTION_TOKEN_TTL shrunk to 1 second)', async (t) => {
  const receiver = await new WebhookReceiver().start();
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', INTERACTION_TOKEN_TTL: '1' } });
  t.teardown(async () => { await server.stop(); await receiver.stop(); });
  await seedSocial(server, receiver);
  const weather = weatherBot(receiver);
  await server.plaza.admin.seed({ clients: [weather] });
  const alice = await userApiToken(server);
  await api(server, 'POST', '/groups/hiking/apps', alice, { client_id: 'weather', actions: [], respond: true });
  const hook = receiver.next();
  const posted = await api(server, 'POST', '/groups/hiking/messages', alice, { text: '/weather Berlin' });
  const tokens = await redeemInteraction(server, weather, parse(await hook).data.ticket);
  t.is(tokens.body.expires_in, 1);
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const late = await api(server, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: 'too late', reply_to: posted.body.id });
  t.is(late.status, 401);
  t.is((await api(server, 'GET', '/groups/hiking/messages', alice)).body.length, 1, 'nothing stored');
});

test.serial('the user sees it and stops it: Activity shows the operation and each use, My apps the live grant, revoking ends it at once', async (t) => {
  const { server } = t.context;
  const { posted, token } = await interactionToken(t, '/weather Kyiv');
  t.is((await api(server, 'POST', '/groups/hiking/messages', token, { text: 'Kyiv: 18°C', reply_to: posted.id })).status, 201);
  const browser = new Browser();
  await codeFor(server, WEB, {}, { browser, ...ALICE });
  const activity = await (await browser.fetch(`${server.url}/account/activity`)).text();
  t.regex(activity, /You asked Weather Bot with \/weather in Weekend Hiking: “\/weather Kyiv”/);
  t.regex(activity, /Weather Bot answered “Kyiv: 18°C” in Weekend Hiking as you \(reply 1 of 5\)[^<]*<a href="\/groups\/hiking#m-[^"]+"/);
  t.regex(activity, new RegExp(`href="/groups/hiking#m-${posted.id}"`), 'the operation links to the message that asked');
  t.regex(activity, /Weather Bot may answer your message in Weekend Hiking as you, up to 5 times/);
  const grantId = String(decodeJwt(token).grant_id);
  const apps = await (await browser.fetch(`${server.url}/account/apps`)).text();
  t.regex(apps, /Answer your \/weather command in Weekend Hiking: up to 5 replies, until \d\d:\d\d UTC/);
  t.true(apps.includes(grantId));
  // The group page threads the reply under the message and says whom it answers, in either language.
  const group = await (await browser.fetch(`${server.url}/groups/hiking`)).text();
  t.regex(group, new RegExp(`data-message-id="${posted.id}"[\\s\\S]*<ul class="replies">[\\s\\S]*via Weather Bot, answering you[\\s\\S]*Kyiv: 18°C`));
  t.regex(await (await browser.fetch(`${server.url}/groups/hiking`, { headers: { 'accept-language': 'zh-CN' } })).text(), /通过 Weather Bot，回应你/);
  // The same in Chinese: the grant and the interaction's sentences in the reader's language.
  const zh = { headers: { 'accept-language': 'zh-CN' } };
  t.regex(await (await browser.fetch(`${server.url}/account/apps`, zh)).text(), /回复你在“Weekend Hiking”的 \/weather 命令：最多 5 条回复，截至 \d\d:\d\d UTC/);
  const zhActivity = await (await browser.fetch(`${server.url}/account/activity`, zh)).text();
  t.regex(zhActivity, /你在“Weekend Hiking”用 \/weather 召唤了 Weather Bot：“\/weather Kyiv”/);
  t.regex(zhActivity, /Weather Bot 以你的身份在“Weekend Hiking”回复了“Kyiv: 18°C”（第 1 次，共 5 次）/);
  t.regex(zhActivity, /Weather Bot 可以以你的身份在“Weekend Hiking”回复你的消息，最多 5 次/);
  t.is((await browser.postForm(`${server.url}/account/apps/${grantId}/revoke`, { _csrf: csrfOf(apps) })).status, 303);
  t.is((await api(server, 'POST', '/groups/hiking/messages', token, { text: 'after revoking', reply_to: posted.id })).status, 401);
  const after = await api(server, 'GET', '/groups/hiking/apps', t.context.alice);
  t.true(after.body.some((a: { client_id: string; respond: boolean }) => a.client_id === 'weather' && a.respond), 'the app still responds when asked again');
});

test.serial('taking the app back ends every interaction grant it holds in the group, whoever asked: removed, or no longer let respond', async (t) => {
  const { server, alice, bob, weather } = t.context;
  for (const takeBack of [
    () => api(server, 'DELETE', '/groups/hiking/apps/weather', alice),
    async () => {
      // A standing action instead of responding: the app gets its action.granted webhook, and no longer answers.
      const granted = t.context.receiver.next();
      const readd = await api(server, 'POST', '/groups/hiking/apps', alice, { client_id: 'weather', actions: ['messages:read'] });
      t.is(parse(await granted).type, 'action.granted');
      return readd;
    },
  ]) {
    // bob asks; alice, who let the app respond, takes that back: bob's token and bob's waiting ticket end with it.
    const { posted, token } = await interactionToken(t, '/weather Oslo', { token: bob });
    const pending = await ask(t, '/weather Bergen', { token: bob });
    const before = await messageIds(t);
    t.true((await takeBack()).status < 300);
    const reply = await api(server, 'POST', '/groups/hiking/messages', token, { text: 'Oslo: 9°C', reply_to: posted.id });
    t.is(reply.status, 401, JSON.stringify(reply.body));
    t.deepEqual(await messageIds(t), before, 'nothing stored');
    t.is((await redeemInteraction(server, weather, parse(pending.hook).data.ticket)).body.error, 'invalid_grant', 'a waiting ticket is void');
    await api(server, 'DELETE', '/groups/hiking/apps/weather', alice);
    t.is((await api(server, 'POST', '/groups/hiking/apps', alice, { client_id: 'weather', actions: [], respond: true })).status, 201);
  }
});

test.serial('suspension pauses interaction grants as it pauses action grants: refused, nothing new, not revoked; lifted in time, they work again', async (t) => {
  const { server, weather, bob } = t.context;
  const { posted, token } = await interactionToken(t, '/weather Riga', { token: bob });
  const waiting = await ask(t, '/weather Tallinn', { token: bob });
  const before = await messageIds(t);
  t.true(await server.plaza.admin.suspendClient('weather', true));
  t.teardown(() => server.plaza.admin.suspendClient('weather', false));
  t.is((await api(server, 'POST', '/groups/hiking/messages', token, { text: 'Riga: 7°C', reply_to: posted.id })).status, 401);
  t.deepEqual(await messageIds(t), before, 'nothing stored');
  t.is((await redeemInteraction(server, weather, parse(waiting.hook).data.ticket)).body.error, 'invalid_client', 'a waiting ticket is not redeemed');

  // Asked while suspended, the app gets no ticket (as adding a suspended app is refused), and takes no shared message.
  const meanwhile = await api(server, 'POST', '/groups/hiking/messages', bob, { text: '/weather Vilnius' });
  t.is(meanwhile.status, 201, 'the member\'s message is stored as any message');
  t.deepEqual(await server.plaza.store.collection<ActionTicket>(ACTION_TICKETS).find({ inReplyTo: meanwhile.body.id }), [], 'no ticket for it');
  t.is((await api(server, 'POST', `/groups/hiking/messages/${meanwhile.body.id}/share`, bob, { client_id: 'weather' })).status, 400);

  // Suspension is the operator's pause, not a revocation: lifted within their lifetimes, grant and ticket are back.
  t.true(await server.plaza.admin.suspendClient('weather', false));
  t.is((await api(server, 'POST', '/groups/hiking/messages', token, { text: 'Riga: 7°C', reply_to: posted.id })).status, 201, 'the grant was not revoked');
  t.is((await redeemInteraction(server, weather, parse(waiting.hook).data.ticket)).status, 200, 'the ticket waited');
  t.deepEqual(await server.plaza.store.collection<ActionTicket>(ACTION_TICKETS).find({ inReplyTo: meanwhile.body.id }), [], 'and what was asked meanwhile stays unasked');
});

test.serial('leaving the group ends the interaction grants there', async (t) => {
  const { server } = t.context;
  const { posted, token } = await interactionToken(t, '/weather Quito', { token: t.context.bob });
  t.is(decodeJwt(token).sub, await server.plaza.oidc.subjects.of('weather', (await api(server, 'GET', '/me', t.context.bob)).body.sub), 'it acts as bob, who asked');
  const pending = await ask(t, '/weather Lima', { token: t.context.bob });
  t.true(await server.plaza.admin.removeMember('hiking', BOB.username));
  await server.plaza.admin.upsertGroup({ id: 'hiking', name: 'Weekend Hiking', members: [BOB.username] });
  t.is((await api(server, 'POST', '/groups/hiking/messages', token, { text: 'after leaving', reply_to: posted.id })).status, 401);
  t.is((await redeemInteraction(server, t.context.weather, parse(pending.hook).data.ticket)).body.error, 'invalid_grant', 'a waiting ticket is void');
});
