// The real H5 page in Chromium: WebCrypto keys, the encrypted token response, the decrypted view token, the
// group's messages; and the view token, copied out of the page, is useless without the page's key.
import test from 'ava';
import { screenshot } from '../helpers/chromium.ts';
import { withBrowserPlaza } from '../helpers/browser_plaza.ts';
import { dpopKey, dpopProof, athOf, tokenRequest } from '../helpers/oauth.ts';
import { seedBasics, WEB } from '../helpers/fixtures.ts';
import { api, userApiToken, TOKEN_EXCHANGE } from '../helpers/social.ts';

test('the H5 page redeems a handoff code with its own keys and shows the group', async (t) => {
  const { plaza, browser } = await withBrowserPlaza(t, { DPOP_REQUIRE_NONCE: '1' });
  await seedBasics(plaza);
  await plaza.plaza.admin.seed({ groups: [{ id: 'hiking', name: 'Weekend Hiking', members: ['alice'] }] });
  const backendToken = await userApiToken(plaza, undefined, 'messages:read messages:post');
  t.is((await api(plaza, 'POST', '/groups/hiking/messages', backendToken, { text: 'Meet at the trailhead at 8' })).status, 201);

  // The backend's side: its access token becomes a one-time code for the page.
  const handoff = await tokenRequest(plaza, {
    grant_type: TOKEN_EXCHANGE, client_id: WEB.client_id, client_secret: WEB.client_secret, subject_token: backendToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', requested_token_type: 'urn:plaza:token-type:handoff-code',
    audience: 'plaza-h5', scope: 'messages:read',
  });
  t.is(handoff.status, 200);

  const page = await browser.newPage();
  const tokenResponse = page.waitForResponse((r) => r.url().endsWith('/token'));
  await page.goto(`${plaza.url}/h5/groups/hiking#code=${handoff.body.access_token}`);
  await page.locator('body[data-ready]').waitFor();
  t.is(await page.locator('body').getAttribute('data-ready'), 'true', await page.locator('#status').innerText());
  await page.getByText('Meet at the trailhead at 8').waitFor();
  t.is(await page.locator('html').getAttribute('lang'), 'en');
  t.is(await page.locator('#title').innerText(), 'Group hiking');
  t.is(await page.locator('#status').innerText(), '1 message(s)');
  await screenshot(page, '20-h5-group');
  t.false(page.url().includes('code='), 'the code left the address bar');
  const first = await tokenResponse;
  t.is(first.status(), 400, 'the first try was asked for a DPoP nonce');
  t.is(first.headers()['dpop-nonce'] !== undefined, true);

  const viewToken = await page.evaluate(() => (window as unknown as { plazaH5: { viewToken: string } }).plazaH5.viewToken);
  t.regex(viewToken, /^eyJ/);
  t.is((await api(plaza, 'GET', '/groups/hiking/messages', viewToken)).status, 401, 'copied out: useless as Bearer');
  const thief = await dpopKey();
  const url = `${plaza.url}/api/groups/hiking/messages`;
  const challenge = await fetch(url, { headers: { authorization: `DPoP ${viewToken}`, dpop: await dpopProof(thief, 'GET', url, { ath: athOf(viewToken) }) } });
  const nonce = challenge.headers.get('dpop-nonce')!;
  const stolen = await fetch(url, { headers: { authorization: `DPoP ${viewToken}`, dpop: await dpopProof(thief, 'GET', url, { ath: athOf(viewToken), nonce }) } });
  t.is(stolen.status, 401, 'copied out: useless with another key');
  t.regex(await stolen.text(), /another key/);

  const replay = await browser.newPage();
  await replay.goto(`${plaza.url}/h5/groups/hiking#code=${handoff.body.access_token}`);
  await replay.locator('body[data-ready]').waitFor();
  t.regex(await replay.locator('#status').innerText(), /unknown, expired or already used/);
  await screenshot(replay, '21-h5-replayed-code');
  t.deepEqual(plaza.serverErrors, []);
});

test('the H5 page speaks Chinese to a Chinese browser: its heading, its status and its errors', async (t) => {
  const { plaza, browser } = await withBrowserPlaza(t);
  await seedBasics(plaza);
  await plaza.plaza.admin.seed({ groups: [{ id: 'hiking', name: 'Weekend Hiking', members: ['alice'] }] });
  const backendToken = await userApiToken(plaza, undefined, 'messages:read messages:post');
  t.is((await api(plaza, 'POST', '/groups/hiking/messages', backendToken, { text: '早上八点在步道口集合' })).status, 201);
  const handoff = await tokenRequest(plaza, {
    grant_type: TOKEN_EXCHANGE, client_id: WEB.client_id, client_secret: WEB.client_secret, subject_token: backendToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', requested_token_type: 'urn:plaza:token-type:handoff-code',
    audience: 'plaza-h5', scope: 'messages:read',
  });
  t.is(handoff.status, 200);

  const context = await browser.newContext({ locale: 'zh-CN', extraHTTPHeaders: { 'accept-language': 'zh-CN,zh;q=0.9' } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`${plaza.url}/h5/groups/hiking#code=${handoff.body.access_token}`);
  await page.locator('body[data-ready]').waitFor();
  t.is(await page.locator('body').getAttribute('data-ready'), 'true', await page.locator('#status').innerText());
  await page.getByText('早上八点在步道口集合').waitFor();
  t.is(await page.locator('html').getAttribute('lang'), 'zh-CN');
  t.is(await page.title(), '群组 · Plaza');
  t.is(await page.locator('#title').innerText(), '群组 hiking');
  t.is(await page.locator('#status').innerText(), '1 条消息');
  t.regex(await page.locator('ul.messages time').innerText(), /\d{4}年\d{1,2}月\d{1,2}日/, 'the time is written the Chinese way');
  await screenshot(page, '22-h5-group-zh');

  const replay = await context.newPage();
  await replay.goto(`${plaza.url}/h5/groups/hiking#code=${handoff.body.access_token}`);
  await replay.locator('body[data-ready]').waitFor();
  t.regex(await replay.locator('#status').innerText(), /^交接失败：/);
  const missing = await context.newPage();
  await missing.goto(`${plaza.url}/h5/groups/hiking`);
  await missing.locator('body[data-ready]').waitFor();
  t.is(await missing.locator('#status').innerText(), '此页面需要交接码。');
  t.deepEqual(plaza.serverErrors, []);
});
