// /api/docs in Chromium: swagger-ui served by Plaza renders /api/openapi.json under the same strict CSP as every page.
import test from 'ava';
import { startServer } from '../helpers/harness.ts';
import { launchChromium, screenshot } from '../helpers/chromium.ts';

test('the API reference renders every capability\'s operations, with no CSP violation, from files Plaza serves', async (t) => {
  const plaza = await startServer();
  const browser = await launchChromium();
  t.teardown(async () => {
    await browser.close();
    await plaza.stop();
  });
  const page = await browser.newPage();
  const complaints: string[] = [];
  page.on('console', (message) => { if (message.type() === 'error') complaints.push(message.text()); });
  page.on('pageerror', (err) => complaints.push(err.message));
  const requested: string[] = [];
  page.on('request', (request) => requested.push(request.url()));
  page.on('response', (response) => { if (response.status() >= 400) complaints.push(`${response.status()} ${response.url()}`); });

  const res = await page.goto(`${plaza.url}/api/docs`);
  t.is(res!.status(), 200);
  t.is(res!.headers()['content-security-policy'], (await fetch(`${plaza.url}/`)).headers.get('content-security-policy')!, 'the same policy as every page');
  await page.locator('.opblock-summary-path', { hasText: '/api/groups/{id}/messages' }).first().waitFor();
  for (const path of ['/api/async', '/admin/api/users']) t.true(await page.locator('.opblock-summary-path', { hasText: path }).first().isVisible(), path);
  await page.getByRole('heading', { name: /Plaza/ }).first().waitFor();
  await screenshot(page, '30-api-docs');
  t.deepEqual(complaints, [], 'no script error and no CSP violation');
  t.true(requested.every((url) => url.startsWith(plaza.url)), `nothing from elsewhere: ${requested.join(' ')}`);

  const viewer = requested.find((url) => url.endsWith('/swagger-ui-bundle.js'))!;
  t.regex((await fetch(viewer)).headers.get('cache-control')!, /max-age=31536000, immutable/);
  t.deepEqual(plaza.serverErrors, []);
});
