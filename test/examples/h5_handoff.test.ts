// examples/h5-handoff.ts, run as its own process: the URL it prints opens Plaza's H5 page in Chromium, which shows the group.
import test from 'ava';
import { Example } from '../helpers/examples.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { startServer } from '../helpers/harness.ts';
import { seedBasics, ALICE, WEB } from '../helpers/fixtures.ts';
import { api, userApiToken } from '../helpers/social.ts';

test('the backend\'s handoff URL opens the group on the H5 page, once', async (t) => {
  const plaza = await startServer({ env: { DPOP_REQUIRE_NONCE: '1' } });
  const browser = await launchChromium();
  t.teardown(async () => {
    await browser.close();
    await plaza.stop();
  });
  await seedBasics(plaza);
  await plaza.plaza.admin.seed({ groups: [{ id: 'hiking', name: 'Weekend Hiking', members: [ALICE.username] }] });
  const backendToken = await userApiToken(plaza, ALICE, 'messages:read messages:post', WEB);
  t.is((await api(plaza, 'POST', '/groups/hiking/messages', backendToken, { text: 'Handed over to H5' })).status, 201);

  const example = new Example('h5-handoff', {
    PLAZA_ISSUER: plaza.url, CLIENT_ID: WEB.client_id, CLIENT_SECRET: WEB.client_secret, ACCESS_TOKEN: backendToken, GROUP_ID: 'hiking',
  });
  t.is(await example.exitCode(), 0, example.lines.join('\n'));
  const url = example.lines.at(-1)!;
  t.regex(url, new RegExp(`^${plaza.url}/h5/groups/hiking#code=hc_`));

  const page = await browser.newPage();
  await page.goto(url);
  await page.locator('body[data-ready]').waitFor();
  t.is(await page.locator('body').getAttribute('data-ready'), 'true', await page.locator('#status').innerText());
  await page.getByText('Handed over to H5').waitFor();
  const replay = await browser.newPage();
  await replay.goto(url);
  await replay.locator('body[data-ready]').waitFor();
  t.regex(await replay.locator('#status').innerText(), /unknown, expired or already used/);
  t.deepEqual(plaza.serverErrors, []);
});
