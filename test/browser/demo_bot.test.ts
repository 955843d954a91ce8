// The README's demo, in Chromium: the demo seed loaded by the admin CLI, alice signs in, adds Demo Bot to her group,
// and the bot, served by Plaza itself, posts there through the real webhook, token exchange and API.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { loadConfig } from '../../server/config/index.ts';
import { runAdmin } from '../helpers/admin_cli.ts';
import { screenshot } from '../helpers/chromium.ts';
import { signInOnPage, withBrowserPlaza } from '../helpers/browser_plaza.ts';
import { startServer } from '../helpers/harness.ts';

const DEMO_SEED = join(import.meta.dirname, '..', '..', 'scripts', 'demo-seed.json');

test('seed demo, sign in, add Demo Bot to the group: its post appears "via Demo Bot"', async (t) => {
  const { plaza, browser } = await withBrowserPlaza(t, { DEMO_BOT: '1', WORKER_POLL_MS: '20' });
  // The demo seed names http://localhost:3000 and http://127.0.0.1:3000; this Plaza listens elsewhere.
  const seedFile = join(plaza.dataDir, 'demo-seed.json');
  await writeFile(seedFile, (await readFile(DEMO_SEED, 'utf8')).replaceAll(/http:\/\/(localhost|127\.0\.0\.1):3000/g, plaza.url));
  const seeded = await runAdmin(plaza.env, 'seed', seedFile);
  t.is(seeded.code, 0, seeded.stderr);

  const page = await browser.newPage();
  await page.goto(`${plaza.url}/groups/hiking`);
  await signInOnPage(page, { username: 'alice', password: 'alice-demo-password' });
  await page.getByRole('heading', { name: 'Weekend Hiking' }).waitFor();
  await page.getByLabel('Search apps').fill('demo bot');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'Choose Demo Bot' }).click();
  await page.getByRole('checkbox', { name: 'Post messages in Weekend Hiking as you' }).check();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.getByText('Demo Bot was added to Weekend Hiking. It may now: Post messages in Weekend Hiking as you.').waitFor();

  // "A moment later": the page is reloaded until the post is there, a bounded number of times.
  const post = page.locator('ul.messages li', { hasText: 'Hello from Demo Bot!' });
  for (let i = 0; i < 100 && !await post.count(); i += 1) {
    await new Promise((r) => setTimeout(r, 200));
    await page.reload();
  }
  t.regex(await post.innerText(), /Alice Example\s+via Demo Bot/);
  await screenshot(page, '40-demo-bot-posted');
  t.deepEqual(plaza.serverErrors, []);
});

test('the demo bot exists only when DEMO_BOT=1, refuses an unsigned webhook, and never runs in production', async (t) => {
  const off = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1' } });
  t.teardown(() => off.stop());
  t.is((await fetch(`${off.url}/demo/bot/hooks`, { method: 'POST', body: '{}' })).status, 404);

  const on = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', DEMO_BOT: '1' } });
  t.teardown(() => on.stop());
  const forged = await fetch(`${on.url}/demo/bot/hooks`, {
    method: 'POST', body: JSON.stringify({ type: 'action.granted', data: { ticket: 'x', group_id: 'hiking', actions: ['messages:post'] } }),
    headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' },
  });
  t.is(forged.status, 401);

  t.throws(() => loadConfig({ DEMO_BOT: '1' }), { message: /needs ALLOW_INSECURE_CALLBACKS=1/ });
  t.throws(() => loadConfig({ NODE_ENV: 'production', ISSUER: 'http://localhost:3000', PLAZA_SECRET_KEY: 'a'.repeat(64), DEMO_BOT: '1' }),
    { message: /production refuses DEMO_BOT=1/ });
});
