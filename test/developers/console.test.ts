// The developer console over HTTP: a Plaza user creates a bot, copies its secrets and runs it; rotates secrets with
// a grace period; sees, redelivers and pings callbacks; and nobody else can touch the app.
import test from 'ava';
import { Webhook } from 'standardwebhooks';
import { startServer } from '../helpers/harness.ts';
import { csrfOf } from '../helpers/oauth.ts';
import { ALICE, BOB } from '../helpers/fixtures.ts';
import { api, INTERACTION_TICKET, seedSocial } from '../helpers/social.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { appForm, authenticates, createApp, followReveal, redeemTicketBasic, shownSecret, signInToConsole } from '../helpers/developers.ts';

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

test('a user creates a bot in the console, copies its secrets once, and the bot acts in a group with them', async (t) => {
  const { server, receiver } = await setUp(t);
  const alice = await signInToConsole(server, ALICE);
  const created = await createApp(server, alice, { kind: 'bot', name: 'Trail Bot', description: 'Posts trail news', website: 'https://trailbot.example/about', callback_uri: receiver.url });
  t.is(created.status, 303, 'the post redirects to the page that shows the secrets once');
  t.regex(created.clientId, /^app_/);
  t.truthy(created.clientSecret);
  t.regex(created.webhookSecret ?? '', /^whsec_/);
  const metadata = (await server.plaza.oidc.clients.get(created.clientId))!;
  t.deepEqual(metadata.grant_types, ['urn:ietf:params:oauth:grant-type:token-exchange', 'refresh_token'], 'the bot kind filled in its grant types');
  t.is(metadata.token_endpoint_auth_method, 'client_secret_basic');

  const again = await (await alice.browser.fetch(`${server.url}/developers/apps/${created.clientId}`)).text();
  t.false(again.includes(created.clientSecret!), 'the client secret is not shown again');
  t.false(again.includes(created.webhookSecret!), 'nor the webhook secret');
  t.regex(again, /unverified/);

  // alice adds her bot to a group on the group page; the bot gets the signed ticket and posts with its secret.
  const group = await (await alice.browser.fetch(`${server.url}/groups/hiking`)).text();
  t.regex(group, /Trail Bot/);
  const hook = receiver.next();
  const added = await alice.browser.postForm(`${server.url}/groups/hiking/apps`, { _csrf: csrfOf(group), client_id: created.clientId, actions: 'messages:post' });
  t.is(added.status, 303);
  const delivered = await hook;
  const payload = new Webhook(created.webhookSecret!).verify(delivered.body, delivered.headers as Record<string, string>) as { data: { ticket: string } };
  const tokens = await redeemTicketBasic(server, { clientId: created.clientId, clientSecret: created.clientSecret! }, payload.data.ticket);
  t.is(tokens.status, 200);
  const posted = await api(server, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: 'Trail is open' });
  t.is(posted.status, 201);

  // The delivery is listed; a redelivery sends the same webhook-id again; a ping arrives signed.
  const appPage = await (await alice.browser.fetch(`${server.url}/developers/apps/${created.clientId}`)).text();
  const deliveryId = /data-delivery-id="([^"]+)"/.exec(appPage)![1];
  t.regex(appPage, /delivered \(HTTP 204\)/);
  const redelivered = receiver.next();
  t.is((await appForm(server, { ...alice, html: appPage }, `/apps/${created.clientId}/deliveries/${deliveryId}/redeliver`)).status, 303);
  t.is((await redelivered).headers['webhook-id'], deliveryId);
  const ping = receiver.next();
  t.is((await appForm(server, { ...alice, html: appPage }, `/apps/${created.clientId}/ping`)).status, 303);
  const pinged = await ping;
  t.is((new Webhook(created.webhookSecret!).verify(pinged.body, pinged.headers as Record<string, string>) as { type: string }).type, 'ping');
  t.deepEqual(server.serverErrors, []);
});

test('a rotated secret keeps working for the grace chosen, in another process too, and not at all with "now"', async (t) => {
  const { server, receiver } = await setUp(t);
  const other = await startServer({ storeOf: server, env: { ALLOW_INSECURE_CALLBACKS: '1' } });
  t.teardown(() => other.plaza.close());
  const alice = await signInToConsole(server, ALICE);
  const app = await createApp(server, alice, { kind: 'bot', name: 'Rotating Bot', callback_uri: receiver.url });
  const page = `/apps/${app.clientId}`;

  const rotated = await appForm(server, alice, `${page}/secrets/client-secret/rotate`, { grace: '1h' });
  const second = shownSecret((await followReveal(server, alice, rotated)).html, 'client_secret')!;
  t.not(second, app.clientSecret);
  t.true(await authenticates(server, app.clientId, second));
  t.true(await authenticates(server, app.clientId, app.clientSecret!), 'the old secret works during its grace');
  t.true(await authenticates(other, app.clientId, app.clientSecret!), 'in another process on the same store too');
  t.false(await authenticates(server, app.clientId, 'a-wrong-secret'));

  const third = shownSecret((await followReveal(server, alice, await appForm(server, alice, `${page}/secrets/client-secret/rotate`, { grace: 'now' }))).html, 'client_secret')!;
  t.true(await authenticates(other, app.clientId, third));
  t.false(await authenticates(other, app.clientId, second), 'with no grace, the replaced secret stops at once');
  t.false(await authenticates(server, app.clientId, app.clientSecret!), 'and the one before it is forgotten');

  // Webhooks are signed with both webhook secrets during the grace, so the app can switch when it likes.
  const newWebhookSecret = shownSecret((await followReveal(server, alice, await appForm(server, alice, `${page}/secrets/webhook-secret/rotate`, { grace: '24h' }))).html, 'webhook_secret')!;
  const ping = receiver.next();
  await appForm(server, alice, `${page}/ping`);
  const hook = await ping;
  t.notThrows(() => new Webhook(newWebhookSecret).verify(hook.body, hook.headers as Record<string, string>));
  t.notThrows(() => new Webhook(app.webhookSecret!).verify(hook.body, hook.headers as Record<string, string>));
  t.is((await appForm(server, alice, `${page}/secrets/client-secret/rotate`, { grace: '100y' })).status, 400);
  t.deepEqual(server.serverErrors, []);
});

test('another developer can neither see, edit, rotate, ping, redeliver nor delete my app', async (t) => {
  const { server, receiver } = await setUp(t);
  const alice = await signInToConsole(server, ALICE);
  const app = await createApp(server, alice, { kind: 'bot', name: 'Alice Bot', callback_uri: receiver.url });
  const bob = await signInToConsole(server, BOB);
  t.false(bob.html.includes(app.clientId), 'not in his list');
  const base = `/apps/${app.clientId}`;
  t.is((await bob.browser.fetch(`${server.url}/developers${base}`)).status, 404);
  for (const [path, form] of [
    [base, { name: 'Hijacked', callback_uri: 'http://127.0.0.1:9/evil' }], [`${base}/secrets/client-secret/rotate`, { grace: 'now' }],
    [`${base}/secrets/webhook-secret/rotate`, { grace: 'now' }], [`${base}/ping`, {}], [`${base}/deliveries/msg_x/redeliver`, {}], [`${base}/delete`, {}],
  ] as const) {
    t.is((await appForm(server, bob, path, form)).status, 404, path);
  }
  // Bob's own app cannot take alice's client_id either.
  t.is((await appForm(server, bob, '/apps', { kind: 'bot', name: 'Hijacked', callback_uri: receiver.url, client_id: app.clientId })).status, 303);
  t.is((await server.plaza.oidc.clients.get(app.clientId))?.client_name, 'Alice Bot');
  t.true(await authenticates(server, app.clientId, app.clientSecret!), 'her secret still works');
  t.is((await alice.browser.postForm(`${server.url}/developers${base}/delete`, { _csrf: 'forged' })).status, 403, 'CSRF');
  t.deepEqual(server.serverErrors, []);
});

test('the console sets no operator-only field, whatever the form sends', async (t) => {
  const { server } = await setUp(t);
  const alice = await signInToConsole(server, ALICE);
  const app = await createApp(server, alice, {
    kind: 'web', name: 'Sneaky', redirect_uris: 'https://sneaky.example/cb',
    plaza_first_party: 'true', plaza_hosts: 'wx', scope: 'admin', plaza_resource_server: `${server.url}/api`,
  });
  t.is(app.status, 303);
  const metadata = (await server.plaza.oidc.clients.get(app.clientId))!;
  for (const field of ['plaza_first_party', 'plaza_hosts', 'scope', 'plaza_resource_server']) t.is(metadata[field], undefined, field);
  // The one policy every developer registration goes through, whatever its path.
  for (const field of [{ plaza_first_party: true }, { plaza_hosts: ['wx'] }, { plaza_host_app_ids: { wx: 'a' } }, { scope: 'openid admin' }, { plaza_resource_server: [`${server.url}/api`] }]) {
    await t.throwsAsync(server.plaza.oidc.clients.register({ redirect_uris: ['https://x.example/cb'], ...field }, 'developer', { owner: 'someone' }), { message: /operator only/ });
  }
  const bad = await createApp(server, alice, { kind: 'bot', name: 'No callback' });
  t.is(bad.status, 400);
  t.regex(bad.html, /needs a callback URI/);
  t.deepEqual(server.serverErrors, []);
});

test('deleting an app takes its grants and tokens with it', async (t) => {
  const { server, receiver } = await setUp(t);
  const alice = await signInToConsole(server, ALICE);
  const app = await createApp(server, alice, { kind: 'bot', name: 'Doomed Bot', callback_uri: receiver.url });
  const group = await (await alice.browser.fetch(`${server.url}/groups/hiking`)).text();
  const hook = receiver.next();
  await alice.browser.postForm(`${server.url}/groups/hiking/apps`, { _csrf: csrfOf(group), client_id: app.clientId, actions: 'messages:post' });
  const ticket = JSON.parse((await hook).body).data.ticket;
  const tokens = await redeemTicketBasic(server, { clientId: app.clientId, clientSecret: app.clientSecret! }, ticket);
  t.is(tokens.status, 200);
  const deleted = await appForm(server, alice, `/apps/${app.clientId}/delete`);
  t.is(deleted.headers.get('location'), '/developers?deleted=1');
  t.is((await api(server, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: 'ghost' })).status, 401);
  t.false(await authenticates(server, app.clientId, app.clientSecret!));
  t.deepEqual(server.serverErrors, []);
});

test('a secret is revealed once, after a redirect: a reload shows it no more, makes no second app, and another session sees nothing', async (t) => {
  const { server, receiver } = await setUp(t);
  const alice = await signInToConsole(server, ALICE);
  const app = await createApp(server, alice, { kind: 'bot', name: 'Once Bot', callback_uri: receiver.url });
  t.truthy(app.clientSecret);
  const reload = await (await alice.browser.fetch(app.revealUrl!)).text();
  t.is(shownSecret(reload, 'client_secret'), undefined, 'a reload does not show the secret again');
  t.false(reload.includes(app.clientSecret!));
  t.regex(reload, /no longer shown/);
  const owner = (await server.plaza.oidc.accounts.findByUsername('alice'))!.id;
  t.is((await server.plaza.oidc.clients.ownedBy(owner)).length, 1, 'nor makes a second app');

  // A rotation's reveal URL is nothing in another session of the same developer, and does not burn the reveal.
  const rotated = await appForm(server, alice, `/apps/${app.clientId}/secrets/client-secret/rotate`, { grace: 'now' });
  const revealUrl = new URL(rotated.headers.get('location')!, server.url).href;
  const elsewhere = await signInToConsole(server, ALICE);
  t.is(shownSecret(await (await elsewhere.browser.fetch(revealUrl)).text(), 'client_secret'), undefined, 'another session');
  const bob = await signInToConsole(server, BOB);
  t.not((await bob.browser.fetch(revealUrl)).status, 200, 'another developer');
  const secret = shownSecret(await (await alice.browser.fetch(revealUrl)).text(), 'client_secret')!;
  t.true(await authenticates(server, app.clientId, secret));
  t.is(shownSecret(await (await alice.browser.fetch(revealUrl)).text(), 'client_secret'), undefined, 'and once only');

  // The initial access token, too.
  const token = await appForm(server, alice, '/tokens');
  const tokenUrl = new URL(token.headers.get('location')!, server.url).href;
  t.truthy(shownSecret(await (await alice.browser.fetch(tokenUrl)).text(), 'initial_access_token'));
  t.regex(await (await alice.browser.fetch(tokenUrl)).text(), /no longer shown/);
  t.deepEqual(server.serverErrors, []);
});

test('an app on client_secret_jwt is rotated with no grace, since its assertions are checked against the current secret only', async (t) => {
  const { server } = await setUp(t);
  const alice = await signInToConsole(server, ALICE);
  const owner = (await server.plaza.oidc.accounts.findByUsername('alice'))!.id;
  const { metadata } = await server.plaza.oidc.clients.register(
    { redirect_uris: ['https://jwt.example/cb'], token_endpoint_auth_method: 'client_secret_jwt' }, 'developer', { owner },
  );
  const page = `/apps/${metadata.client_id}`;
  const appPage = await (await alice.browser.fetch(`${server.url}/developers${page}`)).text();
  t.false(appPage.includes('value="24h"'), 'the console offers no grace');
  const refused = await appForm(server, alice, `${page}/secrets/client-secret/rotate`, { grace: '24h' });
  t.is(refused.status, 400);
  t.regex(await refused.text(), /client_secret_jwt/);
  t.is((await appForm(server, alice, `${page}/secrets/client-secret/rotate`, { grace: 'now' })).status, 303);
  t.deepEqual(server.serverErrors, []);
});

test('the console answers in the reader\'s language: Chinese for Accept-Language zh-CN, English otherwise', async (t) => {
  const { server, receiver } = await setUp(t);
  const alice = await signInToConsole(server, ALICE);
  const bot = await createApp(server, alice, { kind: 'bot', name: 'Trail Bot', callback_uri: receiver.url });
  const zh = { headers: { 'accept-language': 'zh-CN,zh;q=0.9' } };

  const english = await (await alice.browser.fetch(`${server.url}/developers`)).text();
  t.regex(english, /<html lang="en">/);
  t.regex(english, /Signed in as <strong>Alice/);
  t.regex(english, /Bot with action grants/);
  t.regex(english, /Create app/);

  const front = await alice.browser.fetch(`${server.url}/developers`, zh);
  t.is(front.headers.get('content-language'), 'zh-CN');
  const chinese = await front.text();
  t.regex(chinese, /<html lang="zh-CN">/);
  t.notRegex(chinese, /<main[^>]* lang="en"/, 'no part of the console is marked English any more');
  t.regex(chinese, /<h1>开发者控制台<\/h1>/);
  t.regex(chinese, /当前登录：<strong>Alice/, 'the name keeps its markup inside the translated sentence');
  t.regex(chinese, /带操作授权的机器人/);
  t.regex(chinese, /创建应用/);
  t.regex(chinese, /<code>registration_access_token<\/code>/);
  t.notRegex(chinese, /Signed in as|Create app|Your apps|dev\.kind/);

  const appPage = await (await alice.browser.fetch(`${server.url}/developers/apps/${bot.clientId}`, zh)).text();
  t.regex(appPage, /凭据/);
  t.regex(appPage, /轮换客户端密钥/);
  t.regex(appPage, /24h 内/);
  t.notRegex(appPage, /Credentials|Rotate client secret|Delete this app/);
  t.deepEqual(server.serverErrors, []);
});

test('a developer declares /weather in the console; where a member lets the app answer when asked, "/weather Berlin" sends it interaction.created', async (t) => {
  const { server, receiver } = await setUp(t);
  const alice = await signInToConsole(server, ALICE);
  const created = await createApp(server, alice, {
    kind: 'bot', name: 'Weather Bot', callback_uri: receiver.url,
    commands: '/weather The weather for a city\n\n/forecast', mention: '@weatherbot', share: 'on', share_description: 'Tells the weather for a shared message',
  });
  t.is(created.status, 303, created.html);
  const actions = ['messages:post'];
  t.deepEqual((await server.plaza.oidc.clients.get(created.clientId))!.plaza_triggers, {
    commands: [{ name: 'weather', description: 'The weather for a city', actions }, { name: 'forecast', actions }],
    mention: { name: 'weatherbot', actions },
    share: { description: 'Tells the weather for a shared message', actions },
  });

  // alice lets it answer when asked in hiking (no standing action, so no webhook), then types the command there.
  const group = await (await alice.browser.fetch(`${server.url}/groups/hiking`)).text();
  t.is((await alice.browser.postForm(`${server.url}/groups/hiking/apps`, { _csrf: csrfOf(group), client_id: created.clientId, respond: 'true' })).status, 303);
  const hook = receiver.next();
  t.is((await alice.browser.postForm(`${server.url}/groups/hiking/messages`, { _csrf: csrfOf(group), text: '/weather Berlin' })).status, 303);
  const delivered = await hook;
  const event = new Webhook(created.webhookSecret!).verify(delivered.body, delivered.headers as Record<string, string>) as { type: string; data: Record<string, any> };
  t.is(event.type, 'interaction.created');
  t.deepEqual(event.data.trigger, { type: 'command', name: 'weather' });
  t.is(event.data.arguments, 'Berlin');
  t.is(event.data.message.text, '/weather Berlin');

  const tokens = await redeemTicketBasic(server, { clientId: created.clientId, clientSecret: created.clientSecret! }, event.data.ticket, INTERACTION_TICKET);
  t.is(tokens.status, 200, JSON.stringify(tokens.body));
  const reply = await api(server, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: 'Berlin: 21°C', reply_to: event.data.message.id });
  t.is(reply.status, 201, JSON.stringify(reply.body));
  t.is((await api(server, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: 'not a reply' })).status, 403);
  t.deepEqual(server.serverErrors, []);
});

test('the console checks triggers by the rule every registration uses, says what is wrong in the form\'s words, and keeps what was typed', async (t) => {
  const { server, receiver } = await setUp(t);
  const alice = await signInToConsole(server, ALICE);
  const owner = (await server.plaza.oidc.accounts.findByUsername('alice'))!.id;
  const form = { kind: 'bot', name: 'Weather Bot', callback_uri: receiver.url, commands: '/weather Today\n/Forecast Next week', mention: 'weatherbot' };
  const bad = await createApp(server, alice, form);
  t.is(bad.status, 400);
  t.regex(bad.html, /role="alert">Slash command 2: its name must be lower-case letters, digits, &quot;_&quot; or &quot;-&quot;, at most 32</);
  t.regex(bad.html, /<textarea name="commands" rows="3">\/weather Today\n\/Forecast Next week<\/textarea>/, 'the commands as typed');
  t.regex(bad.html, /name="mention" maxlength="33" value="weatherbot"/);
  t.regex(bad.html, /name="name" maxlength="100" required value="Weather Bot"/);
  t.regex(bad.html, /value="bot" checked/);
  // The same value from code meets the same rule, in metadata's words.
  await t.throwsAsync(server.plaza.oidc.clients.register({
    response_types: [], redirect_uris: [], grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'], callback_uri: receiver.url,
    plaza_triggers: { commands: [{ name: 'Forecast', actions: ['messages:post'] }] },
  }, 'developer', { owner }), { message: /^plaza_triggers\.commands\.0\.name must be lower-case letters/ });
  const twice = await createApp(server, alice, { ...form, commands: '/weather a\n/weather b' });
  t.is(twice.status, 400);
  t.regex(twice.html, /\/weather is in the slash commands twice/);
  t.is((await server.plaza.oidc.clients.ownedBy(owner)).length, 0, 'nothing was registered');

  // Editing: a refusal keeps what was typed and changes nothing; emptied fields take the triggers away.
  const app = await createApp(server, alice, { ...form, commands: '/weather Today' });
  t.is(app.status, 303);
  const page = `/apps/${app.clientId}`;
  t.regex(await (await alice.browser.fetch(`${server.url}/developers${page}`)).text(), /<textarea name="commands" rows="3">\/weather Today<\/textarea>/);
  const refused = await appForm(server, alice, page, { name: 'Renamed Bot', callback_uri: receiver.url, commands: '/weather Today\n/news', mention: 'Weather Bot' });
  t.is(refused.status, 400);
  const refusedHtml = await refused.text();
  t.regex(refusedHtml, /role="alert">The mention name must be lower-case letters/);
  t.regex(refusedHtml, /name="name" maxlength="100" required value="Renamed Bot"/);
  t.regex(refusedHtml, /name="mention" maxlength="33" value="Weather Bot"/);
  t.regex(refusedHtml, /<textarea name="commands" rows="3">\/weather Today\n\/news<\/textarea>/);
  const kept = (await server.plaza.oidc.clients.get(app.clientId))!;
  t.is(kept.client_name, 'Weather Bot');
  t.deepEqual(kept.plaza_triggers, { commands: [{ name: 'weather', description: 'Today', actions: ['messages:post'] }], mention: { name: 'weatherbot', actions: ['messages:post'] } });
  t.is((await appForm(server, alice, page, { name: 'Weather Bot', callback_uri: receiver.url, share: 'on' })).status, 303);
  t.deepEqual((await server.plaza.oidc.clients.get(app.clientId))!.plaza_triggers, { share: { actions: ['messages:post'] } });
  t.is((await appForm(server, alice, page, { name: 'Weather Bot', callback_uri: receiver.url })).status, 303);
  t.is((await server.plaza.oidc.clients.get(app.clientId))!.plaza_triggers, undefined, 'emptied, the triggers are gone');

  // Only a bot answers when asked: another kind's form ignores the fields, as it ignores a callback it cannot use.
  const web = await createApp(server, alice, { kind: 'spa', name: 'Web', redirect_uris: 'https://web.example/cb', commands: '/weather' });
  t.is(web.status, 303);
  t.is((await server.plaza.oidc.clients.get(web.clientId))!.plaza_triggers, undefined);
  t.deepEqual(server.serverErrors, []);
});
