// The whole story in Chromium: a member lets Weather Bot respond when asked, types `/weather Berlin` on the group
// page, and a moment later sees the bot's answer under their message, "via Weather Bot, answering you". The bot
// holds a token that could do nothing else.
import test from 'ava';
import { Webhook } from 'standardwebhooks';
import { startServer } from '../helpers/harness.ts';
import { launchChromium, screenshot } from '../helpers/chromium.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { api, redeemInteraction, seedSocial, weatherBot } from '../helpers/social.ts';
import { ALICE } from '../helpers/fixtures.ts';

test('"/weather Berlin" on the group page: the bot answers under the message, via Weather Bot, answering you', async (t) => {
  const receiver = await new WebhookReceiver().start();
  const plaza = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1' } });
  const browser = await launchChromium();
  t.teardown(async () => {
    await browser.close();
    await plaza.stop();
    await receiver.stop();
  });
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
  await page.getByLabel('Username').fill(ALICE.username);
  await page.getByLabel('Password').fill(ALICE.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Weekend Hiking' }).waitFor();

  await page.getByLabel('App').selectOption({ label: 'Weather Bot' });
  await page.getByRole('checkbox', { name: 'messages:post' }).uncheck();
  await page.getByRole('checkbox', { name: /respond when asked/ }).check();
  await screenshot(page, '50-group-let-bot-respond');
  await page.getByRole('button', { name: 'Add app to this group' }).click();
  await page.getByText('Weather Bot responds when a member asks it, answering once as them.').waitFor();

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

  await page.goto(`${plaza.url}/account/apps`);
  await page.getByText(/Answer your command in Weekend Hiking, as you/).waitFor();
  await screenshot(page, '52-my-apps-interaction-grant');
  await page.goto(`${plaza.url}/account/activity`);
  await page.getByRole('cell', { name: 'interaction.replied' }).first().waitFor();
  t.true(await page.getByRole('cell', { name: 'interaction.created' }).first().isVisible());
  await screenshot(page, '53-activity-interaction');
  t.deepEqual(plaza.serverErrors, []);
});
