// A developer in Chromium creates a bot in the console, copies its secrets from the one page that shows them, and
// the bot authenticates with the copied secret; a reload of that page neither shows them again nor makes another app.
// The bot's triggers (slash commands, mention name, shared messages) are declared and edited in the same forms.
import test, { type ExecutionContext } from 'ava';
import { screenshot } from '../helpers/chromium.ts';
import { signInOnPage, withBrowserPlaza } from '../helpers/browser_plaza.ts';
import { seedBasics, ALICE } from '../helpers/fixtures.ts';
import { authenticates } from '../helpers/developers.ts';

/** alice signs in to the console in Chromium and starts a new bot: its kind, name and callback URI filled in. */
async function newBotForm(t: ExecutionContext, name: string) {
  const { plaza, browser, receiver } = await withBrowserPlaza(t);
  await seedBasics(plaza);
  const page = await browser.newPage();
  await page.goto(`${plaza.url}/developers`);
  await signInOnPage(page, ALICE);
  await page.getByRole('heading', { name: 'Developer console' }).waitFor();
  await page.getByLabel('Bot with action grants').check();
  await page.getByLabel('Name').fill(name);
  await page.getByLabel(/Callback URI/).fill(receiver.url);
  return { plaza, page };
}

test('a signed-in user creates a bot at /developers and copies its client and webhook secrets', async (t) => {
  const { plaza, page } = await newBotForm(t, 'Trail Bot');
  await page.getByLabel('Website').fill('https://trailbot.example');
  await screenshot(page, '40-developer-console');
  await page.getByRole('button', { name: 'Create app' }).click();
  await page.getByRole('heading', { name: 'Copy your secrets now' }).waitFor();
  await screenshot(page, '41-developer-app-secrets');

  const clientId = (await page.locator('[data-client-id]').innerText()).trim();
  const clientSecret = (await page.locator('[data-secret="client_secret"]').innerText()).trim();
  t.regex(await page.locator('[data-secret="webhook_secret"]').innerText(), /^whsec_/);
  t.true(await authenticates(plaza, clientId, clientSecret), 'the copied secret is the app\'s');

  // Post/Redirect/Get: a reload reloads the reveal page, which shows the secrets no more, and posts nothing again.
  t.regex(page.url(), /\/developers\/apps\/[^/]+\/shown\//);
  await page.reload();
  await page.getByText(/no longer shown/).waitFor();
  t.is(await page.locator('[data-secret]').count(), 0, 'a reload does not show the secrets again');
  await page.goto(`${plaza.url}/developers/apps/${clientId}`);
  await page.getByRole('heading', { name: 'Credentials' }).waitFor();
  t.is(await page.locator('[data-secret]').count(), 0, 'the app\'s page does not show the secrets again');
  await page.goto(`${plaza.url}/developers`);
  await page.getByRole('link', { name: 'Trail Bot' }).waitFor();
  t.is(await page.getByRole('link', { name: 'Trail Bot' }).count(), 1, 'the reload made no second app');
  t.deepEqual(plaza.serverErrors, []);
});

test('a developer declares a bot\'s slash commands and mention name in the console; a refused one is explained and kept as typed', async (t) => {
  const { plaza, page } = await newBotForm(t, 'Weather Bot');
  await page.getByLabel(/Slash commands/).fill('/weather The weather for a city\n/Forecast The week ahead');
  await page.getByLabel(/@-mention/).fill('weatherbot');
  await page.getByLabel('Takes messages members share with it').check();
  await page.getByRole('button', { name: 'Create app' }).click();

  const alert = page.getByRole('alert');
  await alert.waitFor();
  t.regex(await alert.innerText(), /^Slash command 2: its name must be lower-case letters, digits, "_" or "-", at most 32$/);
  t.is(await page.getByLabel(/Slash commands/).inputValue(), '/weather The weather for a city\n/Forecast The week ahead', 'kept as typed');
  t.is(await page.getByLabel(/@-mention/).inputValue(), 'weatherbot');
  t.true(await page.getByLabel('Takes messages members share with it').isChecked());
  t.true(await page.getByLabel('Bot with action grants').isChecked());
  await page.getByLabel(/Slash commands/).scrollIntoViewIfNeeded();
  await screenshot(page, '42-developer-console-trigger-refused');

  await page.getByLabel(/Slash commands/).fill('/weather The weather for a city\n/forecast The week ahead');
  await page.getByRole('button', { name: 'Create app' }).click();
  await page.getByRole('heading', { name: 'Copy your secrets now' }).waitFor();
  const clientId = (await page.locator('[data-client-id]').innerText()).trim();
  t.deepEqual((await plaza.plaza.oidc.clients.get(clientId))?.plaza_triggers, {
    commands: [{ name: 'weather', description: 'The weather for a city', actions: ['messages:post'] }, { name: 'forecast', description: 'The week ahead', actions: ['messages:post'] }],
    mention: { name: 'weatherbot', actions: ['messages:post'] },
    share: { actions: ['messages:post'] },
  });

  // The app's page edits them: one command fewer, saved.
  await page.goto(`${plaza.url}/developers/apps/${clientId}`);
  t.is(await page.getByLabel(/Slash commands/).inputValue(), '/weather The weather for a city\n/forecast The week ahead');
  await page.getByLabel(/Slash commands/).fill('/weather The weather for a city');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  t.is(await page.getByLabel(/Slash commands/).inputValue(), '/weather The weather for a city');
  await page.getByLabel(/Slash commands/).scrollIntoViewIfNeeded();
  await screenshot(page, '43-developer-app-triggers');
  t.deepEqual(plaza.serverErrors, []);
});
