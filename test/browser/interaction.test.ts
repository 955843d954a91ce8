// The whole story in Chromium: a member lets Weather Bot respond when asked, types `/weather Berlin` on the group
// page, and a moment later sees the bot's answer under their message, "via Weather Bot, answering you". The bot
// holds a token that could do nothing else.
import test from 'ava';
import { Webhook } from 'standardwebhooks';
import { screenshot } from '../helpers/chromium.ts';
import { signInOnPage, withBrowserPlaza } from '../helpers/browser_plaza.ts';
import { api, redeemInteraction, seedSocial, weatherBot } from '../helpers/social.ts';
import { ALICE } from '../helpers/fixtures.ts';

test('"/weather Berlin" on the group page: the bot answers under the message, via Weather Bot, answering you', async (t) => {
  const { plaza, browser, receiver } = await withBrowserPlaza(t);
  await seedSocial(plaza, receiver);
  const weather = weatherBot(receiver);
  await plaza.plaza.admin.seed({ clients: [weather] });

  /** The bot's side: verify the webhook, redeem the ticket, answer the message; then try something else. */
  const bot = (async () => {
    const hook = await receiver.next();
    const event = new Webhook(weather.webhook_secret).verify(hook.body, hook.headers as Record<string, string>) as { type: string; data: Record<string, any> };
    const tokens = await redeemInteraction(plaza, weather, event.data.ticket);
    const answer = await api(plaza, 'POST', `/groups/${event.data.group.id}/messages`, tokens.body.access_token, {
      text: `${event.data.arguments}: 21°C and sunny`, reply_to: event.data.message.id,
    });
    const elsewhere = await api(plaza, 'POST', `/groups/${event.data.group.id}/messages`, tokens.body.access_token, { text: 'Buy my weather app!' });
    return { event, answer, elsewhere };
  })();

  const page = await browser.newPage();
  await page.goto(`${plaza.url}/groups/hiking`);
  await signInOnPage(page, ALICE);
  await page.getByRole('heading', { name: 'Weekend Hiking' }).waitFor();

  // Add app: search, choose, and on the confirmation let it answer when asked instead of posting at any time.
  await page.getByLabel('Search apps').fill('weather');
  await page.keyboard.press('Enter');
  await page.getByRole('link', { name: 'Choose Weather Bot' }).click();
  await page.getByRole('heading', { name: 'Add Weather Bot to Weekend Hiking?' }).waitFor();
  await page.getByRole('checkbox', { name: 'Post messages in Weekend Hiking as you' }).uncheck();
  await page.getByRole('checkbox', { name: /^Answer when a member of Weekend Hiking asks it/ }).check();
  await screenshot(page, '50-group-let-bot-respond');
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.getByRole('status').filter({ hasText: /Weather Bot was added to Weekend Hiking\. It may now: Answer when a member of Weekend Hiking asks it/ }).waitFor();
  const listed = page.locator('ul.apps > li[data-client-id="weather"]');
  t.regex(await listed.innerText(), /Answer when a member of Weekend Hiking asks it/);
  t.notRegex(await listed.innerText(), /Post messages/, 'no standing action was granted');

  await page.getByLabel('New message').fill('/weather Berlin');
  await page.getByRole('button', { name: 'Post' }).click();
  await page.locator('ul.messages > li', { hasText: '/weather Berlin' }).waitFor();

  const { event, answer, elsewhere } = await bot;
  t.is(event.type, 'interaction.created');
  t.is(answer.status, 201, JSON.stringify(answer.body));
  t.is(elsewhere.status, 403, 'the bot could do nothing else');

  await page.reload();
  const thread = page.locator('ul.messages > li', { hasText: '/weather Berlin' });
  const reply = thread.locator('ul.replies > li', { hasText: 'Berlin: 21°C and sunny' });
  await reply.waitFor();
  t.regex(await reply.innerText(), /Alice Example\s+via Weather Bot, answering you/);
  t.is(await page.getByText('Buy my weather app!').count(), 0);
  await screenshot(page, '51-group-bot-answer');

  // Sharing a message with the bot from the page is the share trigger: one more interaction.created, for that message.
  const shared = receiver.next();
  await thread.getByRole('button', { name: 'Share' }).first().click();
  const shareHook = await shared;
  const shareEvent = new Webhook(weather.webhook_secret).verify(shareHook.body, shareHook.headers as Record<string, string>) as { type: string; data: Record<string, any> };
  t.is(shareEvent.data.trigger.type, 'share');
  t.is(shareEvent.data.message.id, event.data.message.id);

  await page.goto(`${plaza.url}/account/apps`);
  await page.getByText(/Answer your \/weather command in Weekend Hiking: up to 5 replies, until \d\d:\d\d UTC/).waitFor();
  await screenshot(page, '52-my-apps-interaction-grant');
  await page.goto(`${plaza.url}/account/activity`);
  await page.getByText('Weather Bot answered “Berlin: 21°C and sunny” in Weekend Hiking as you (reply 1 of 5)').waitFor();
  t.true(await page.getByText('You asked Weather Bot with /weather in Weekend Hiking: “/weather Berlin”').isVisible());
  await screenshot(page, '53-activity-interaction');
  t.deepEqual(plaza.serverErrors, []);
});
