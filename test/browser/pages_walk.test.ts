// The walk a new person takes, in English and in Chinese, at 1280 and 390 px, by keyboard where it matters:
// sign up, sign in to an app and consent, add a bot to a group, the bot posts, Activity says so in a sentence,
// My apps shows the bot once, remove it. Every page passes axe and does not scroll sideways; screenshots are kept.
import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/harness.ts';
import { startBrowserPlaza, type BrowserPlaza } from '../helpers/browser_plaza.ts';
import { checkPage, drawsDistinctGlyphs } from '../helpers/pages.ts';
import { pkce } from '../helpers/oauth.ts';
import { createServer } from 'node:http';
import type { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { api, redeemTicket, seedSocial, type App } from '../helpers/social.ts';

const WORDS = {
  en: {
    signUp: 'Create an account', name: 'Your name', username: 'Username', password: 'Password', create: 'Create account',
    profile: 'Your profile', signOut: 'Yes, sign me out', wants: 'Other App wants to access your Plaza account', allow: 'Allow',
    search: 'Search apps', choose: 'Choose Poster App', confirm: 'Add Poster App to {group}?', post: 'Post messages in {group} as you',
    added: 'Poster App was added to {group}.', posted: 'Poster App posted “Sunny tomorrow” in {group} as you', consented: 'You allowed Other App to use your account',
    removeAll: 'Remove access', revoked: 'Access revoked', group: 'Weekend Hiking', notFound: 'Page not found', console: 'Developer console', lastActed: 'Last acted',
    respond: 'Answer when a member of {group} asks it',
  },
  'zh-CN': {
    signUp: '创建账号', name: '你的名字', username: '用户名', password: '密码', create: '创建账号',
    profile: '个人资料', signOut: '是，退出登录', wants: 'Other App 想要访问你的 Plaza 账号', allow: '允许',
    search: '搜索应用', choose: '选择 Poster App', confirm: '把 Poster App 添加到“{group}”？', post: '以你的身份在“{group}”发消息',
    added: 'Poster App 已添加到“{group}”。', posted: 'Poster App 以你的身份在“{group}”发了“Sunny tomorrow”', consented: '你允许了 Other App 使用你的账号',
    removeAll: '移除访问权限', revoked: '已撤销访问', group: '周末徒步', notFound: '找不到页面', console: '开发者控制台', lastActed: '最近一次操作',
    respond: '在“{group}”有成员召唤它时回应',
  },
} as const;

type Locale = keyof typeof WORDS;

/** The app's redirect URI: a real local page. */
async function appCallback(): Promise<{ close(): void; url: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><html lang="en"><title>Other App</title><h1>Other App</h1></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { close: () => server.close(), url: `http://127.0.0.1:${(server.address() as { port: number }).port}/cb` };
}

async function walk(t: import('ava').ExecutionContext, plaza: TestServer, browser: Browser, receiver: WebhookReceiver, poster: App, redirectUri: string, locale: Locale, width: number) {
  const w = WORDS[locale];
  const fill = (text: string) => text.replace('{group}', w.group);
  const tag = `walk-${locale}-${width}`;
  const username = `walker-${locale.toLowerCase()}-${width}`;
  const password = 'walker-password-1';
  const context = await browser.newContext({ locale, viewport: { width, height: 900 }, bypassCSP: true });
  t.teardown(() => context.close());
  const page: Page = await context.newPage();

  // Sign up: from the home page, by the link the layout offers.
  await page.goto(`${plaza.url}/`);
  await checkPage(t, page, `${tag}-01-home`);
  if (locale === 'zh-CN') t.true(await drawsDistinctGlyphs(page, '中', '文'), 'Chinese is drawn in a CJK font, not as empty boxes');
  await page.goto(`${plaza.url}/account/signup`);
  await page.getByLabel(w.name).fill(`Walker ${locale} ${width}`);
  await page.getByLabel(w.username).fill(username);
  await page.getByLabel(w.password).fill(password);
  await checkPage(t, page, `${tag}-02-signup`);
  await page.getByRole('button', { name: w.create }).click();
  await page.getByRole('heading', { name: w.profile }).waitFor();
  await checkPage(t, page, `${tag}-03-profile`);

  // Sign out (the confirmation page, then a browser without the session), then sign in to an app and consent, by keyboard only.
  await page.goto(`${plaza.url}/session/end`);
  await page.getByRole('button', { name: w.signOut }).waitFor();
  await checkPage(t, page, `${tag}-03b-sign-out`);
  await context.clearCookies();
  const { challenge } = pkce();
  await page.goto(`${plaza.url}/auth?${new URLSearchParams({
    client_id: 'walk-app', response_type: 'code', redirect_uri: redirectUri, scope: 'openid profile',
    code_challenge: challenge, code_challenge_method: 'S256', state: 'walk',
  })}`);
  await checkPage(t, page, `${tag}-04-sign-in`);
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.getByText(w.wants).waitFor();
  await checkPage(t, page, `${tag}-05-consent`);
  await page.keyboard.press('Enter');
  await page.waitForURL((url) => url.href.startsWith(redirectUri));
  t.is(new URL(page.url()).searchParams.get('state'), 'walk');

  // Add the bot to a group: search, choose, confirm by keyboard.
  const groupId = `g-${locale.toLowerCase()}-${width}`;
  await plaza.plaza.admin.seed({ groups: [{ id: groupId, name: w.group, members: [username] }] });
  await page.goto(`${plaza.url}/groups/${groupId}`);
  await page.getByLabel(w.search).fill('poster');
  await page.keyboard.press('Enter');
  await page.getByRole('link', { name: w.choose }).waitFor();
  await checkPage(t, page, `${tag}-06-group-search`);
  await page.getByRole('link', { name: w.choose }).click();
  await page.getByRole('heading', { name: fill(w.confirm) }).waitFor();
  t.true(await page.getByRole('checkbox', { name: fill(w.post) }).isChecked());
  const respond = page.getByRole('checkbox', { name: fill(w.respond) });
  t.false(await respond.isChecked(), '"respond when asked" is a choice of its own, off unless chosen');
  await checkPage(t, page, `${tag}-07-add-app-confirm`);
  const hook = receiver.next();
  await page.keyboard.press('Enter');
  await page.getByText(fill(w.added)).waitFor();
  await checkPage(t, page, `${tag}-08-app-added`);

  // The bot posts with what that click granted.
  const tokens = await redeemTicket(plaza, poster, JSON.parse((await hook).body).data.ticket);
  t.is(tokens.status, 200);
  t.is((await api(plaza, 'POST', `/groups/${groupId}/messages`, tokens.body.access_token, { text: 'Sunny tomorrow' })).status, 201);

  await page.goto(`${plaza.url}/account/activity`);
  const sentence = page.locator('ul.activity li', { hasText: fill(w.posted) });
  await sentence.waitFor();
  await page.getByText(w.consented).waitFor();
  await checkPage(t, page, `${tag}-09-activity`);
  await sentence.getByRole('link').click();
  await page.waitForURL((url) => url.pathname === `/groups/${groupId}`);

  await page.goto(`${plaza.url}/account/apps`);
  t.is(await page.locator('li[data-client-id="poster"]').count(), 1, 'the bot is listed once');
  t.regex(await page.locator('li[data-client-id="poster"]').innerText(), new RegExp(w.lastActed), 'with when it last acted');
  await checkPage(t, page, `${tag}-10-my-apps`);
  await page.locator('li[data-client-id="poster"]').getByRole('button', { name: w.removeAll }).click();
  await page.getByText(w.revoked).waitFor();
  t.is(await page.locator('li[data-client-id="poster"]').count(), 0);
  await checkPage(t, page, `${tag}-11-removed`);
  t.is((await api(plaza, 'POST', `/groups/${groupId}/messages`, tokens.body.access_token, { text: 'still here?' })).status, 401, 'its token stopped working');

  for (const path of ['/account/devices', '/account/identities', '/account/password', '/groups']) {
    await page.goto(`${plaza.url}${path}`);
    await checkPage(t, page, `${tag}-12${path.replaceAll('/', '-')}`);
  }
  // The developer console is one step away in the account menu, in the reader's language, and fits the same layout.
  await page.locator('details.account-menu summary').click();
  await page.getByRole('link', { name: w.console }).click();
  await page.waitForURL((url) => url.pathname === '/developers');
  t.is(await page.locator('main').getAttribute('lang'), null, 'the console is no longer marked English inside the page');
  t.is(await page.locator('html').getAttribute('lang'), locale);
  await page.getByRole('heading', { level: 1, name: w.console }).waitFor();
  await checkPage(t, page, `${tag}-12-developers`);
  const missing = await page.goto(`${plaza.url}/nope`);
  t.is(missing?.status(), 404);
  await page.getByRole('heading', { name: w.notFound }).waitFor();
  await checkPage(t, page, `${tag}-13-not-found`);
}

interface Shared extends BrowserPlaza { poster: App; app: { close(): void; url: string } }
const shared = test.serial;
let world: Shared;

test.before(async () => {
  const started = await startBrowserPlaza();
  const { plaza, receiver } = started;
  const app = await appCallback();
  const { poster } = await seedSocial(plaza, receiver);
  await plaza.plaza.admin.seed({ clients: [{
    client_id: 'walk-app', client_secret: 'walk-app-secret-0123456789-0123456', client_name: 'Other App', redirect_uris: [app.url],
    grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
  }] });
  world = { ...started, poster, app };
});

test.after.always(async () => {
  await world?.stop();
  world?.app.close();
});

for (const locale of ['en', 'zh-CN'] as const) {
  for (const width of [1280, 390]) {
    shared(`the walk in ${locale} at ${width} px: sign-up, sign-in, consent, add a bot, it posts, Activity, My apps, remove; axe clean`, async (t) => {
      await walk(t, world.plaza, world.browser, world.receiver, world.poster, world.app.url, locale, width);
      t.deepEqual(world.plaza.serverErrors, []);
    });
  }
}
