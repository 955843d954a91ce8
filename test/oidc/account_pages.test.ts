// The account pages over HTTP: the language a page is in, sign-up in each SIGNUP mode, the password change, the 404
// page and the favicon.
import test from 'ava';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { ALICE, codeFor, seedBasics, WEB, OTHER_WEB } from '../helpers/fixtures.ts';
import { Browser, csrfOf, pkce } from '../helpers/oauth.ts';

/** Follows redirects from `path` to the page that answers, in `browser`. */
async function open(server: TestServer, browser: Browser, path: string, headers: Record<string, string> = {}) {
  let url = `${server.url}${path}`;
  for (let step = 0; step < 8; step += 1) {
    const res = await browser.fetch(url, { headers });
    if (res.status < 300 || res.status >= 400) return { status: res.status, url, html: await res.text() };
    url = new URL(res.headers.get('location')!, url).href;
  }
  throw new Error('too many redirects');
}

/** Posts the sign-up form of a fresh sign-up page; answers the response and where it went. */
async function signUp(server: TestServer, browser: Browser, form: Record<string, string>, path = '/account/signup') {
  const page = await open(server, browser, path);
  const uid = /\/interaction\/([^/"]+)\/signup/.exec(page.html)?.[1];
  if (!uid) return { status: page.status, html: page.html };
  const invite = /name="invite" value="([^"]*)"/.exec(page.html)?.[1];
  const res = await browser.postForm(`${server.url}/interaction/${uid}/signup`, { _csrf: csrfOf(page.html), ...(invite ? { invite } : {}), ...form });
  return { status: res.status, html: res.status === 303 ? '' : await res.text(), location: res.headers.get('location') };
}

async function finish(server: TestServer, browser: Browser, location: string | null | undefined) {
  return open(server, browser, new URL(location!, server.url).pathname + new URL(location!, server.url).search);
}

test('the page language: ui_locales, then the user\'s setting, then Accept-Language', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  await seedBasics(server);
  const home = await open(server, new Browser(), '/', { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' });
  t.regex(home.html, /<html lang="zh-CN">/);
  t.regex(home.html, /欢迎使用 Plaza/);
  t.regex((await open(server, new Browser(), '/', { 'accept-language': 'fr, en;q=0.5' })).html, /<html lang="en">.*Welcome to Plaza/s);

  const { challenge } = pkce();
  const auth = (uiLocales: string) => `/auth?${new URLSearchParams({
    client_id: OTHER_WEB.client_id, response_type: 'code', redirect_uri: OTHER_WEB.redirect_uris[0], scope: 'openid profile',
    code_challenge: challenge, code_challenge_method: 'S256', ui_locales: uiLocales,
  })}`;
  const login = await open(server, new Browser(), auth('zh-Hans-CN en'), { 'accept-language': 'en' });
  t.regex(login.html, /用你的 Plaza 账号登录|请你用 Plaza 账号登录/, 'ui_locales beats Accept-Language');

  const alice = new Browser();
  await codeFor(server, WEB, {}, { browser: alice });
  const profile = await open(server, alice, '/account/profile', { 'accept-language': 'en' });
  t.is((await alice.postForm(`${server.url}/account/profile`, { _csrf: csrfOf(profile.html), name: 'Alice Example', locale: 'zh-CN' })).status, 303);
  t.regex((await open(server, alice, '/account/apps', { 'accept-language': 'en' })).html, /<h1>我的应用<\/h1>/, 'the setting beats Accept-Language');
  const consent = await open(server, alice, auth('en'), { 'accept-language': 'zh-CN' });
  t.regex(consent.html, /Other App wants to access your Plaza account/, 'ui_locales beats the setting');
  t.deepEqual(server.serverErrors, []);
});

test('a styled 404 in the reader\'s language, error pages with ways back, and a favicon', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const missing = await new Browser().fetch(`${server.url}/nope`, { headers: { 'accept-language': 'zh-CN' } });
  t.is(missing.status, 404);
  const html = await missing.text();
  t.regex(html, /<link rel="stylesheet" href="\/static\/plaza.css">/);
  t.regex(html, /<h1>找不到页面<\/h1>/);
  t.regex(html, /href="\/account\/apps"/);
  const icon = await fetch(`${server.url}/favicon.ico`);
  t.is(icon.status, 200);
  t.is(icon.headers.get('content-type'), 'image/svg+xml');
  const bad = await new Browser().fetch(`${server.url}/auth?client_id=nobody&response_type=code`);
  t.is(bad.status, 400);
  t.regex(await bad.text(), /The app sent Plaza a request that is not valid[\s\S]*<code>invalid_client<\/code>/);
});

test('sign-up: open creates and signs in, never over an existing account, and counts against the login throttle', async (t) => {
  const server = await startServer({ env: { LOGIN_MAX_FAILURES: '1' } });
  t.teardown(() => server.stop());
  await seedBasics(server);
  const browser = new Browser();
  const created = await signUp(server, browser, { name: 'Carol', username: 'carol', password: 'carol-password-1' });
  t.is(created.status, 303);
  const landed = await finish(server, browser, created.location);
  t.regex(landed.url, /\/account\/profile$/);
  t.regex(landed.html, /value="Carol"/);
  t.truthy(await server.plaza.oidc.accounts.authenticate('carol', 'carol-password-1'));

  const taken = await signUp(server, new Browser(), { name: 'Mallory', username: 'alice', password: 'mallory-password' });
  t.is(taken.status, 409);
  t.truthy(await server.plaza.oidc.accounts.authenticate(ALICE.username, ALICE.password), 'alice\'s password is untouched');
  const badUsername = await signUp(server, new Browser(), { name: 'x', username: 'Not Valid!', password: 'long-enough-1' });
  t.is(badUsername.status, 400);
  t.regex(badUsername.html, /Choose a username of lowercase letters/);
  const badPassword = await signUp(server, new Browser(), { name: 'x', username: 'dave', password: 'short' });
  t.is(badPassword.status, 400);
  t.regex(badPassword.html, /Choose a password of at least 8 characters/);
  const throttled = await signUp(server, new Browser(), { name: 'x', username: 'dave', password: 'dave-password-1' });
  t.is(throttled.status, 429, 'a second attempt for one username within the window');
  t.deepEqual(server.serverErrors, []);
});

test('sign-up: closed refuses, invite needs a member\'s one-time invitation', async (t) => {
  const closed = await startServer({ env: { SIGNUP: 'closed' } });
  t.teardown(() => closed.stop());
  const refused = await signUp(closed, new Browser(), { name: 'Eve', username: 'eve', password: 'eve-password-1' });
  t.is(refused.status, 403);
  t.regex(refused.html, /New accounts cannot be created here/);
  t.is(await closed.plaza.oidc.accounts.findByUsername('eve'), undefined);

  const invite = await startServer({ env: { SIGNUP: 'invite' } });
  t.teardown(() => invite.stop());
  await seedBasics(invite);
  t.is((await signUp(invite, new Browser(), { name: 'Eve', username: 'eve', password: 'eve-password-1', invite: 'made-up' })).status, 403);
  const alice = new Browser();
  await codeFor(invite, WEB, {}, { browser: alice });
  const profile = await open(invite, alice, '/account/profile');
  const issued = await alice.postForm(`${invite.url}/account/invitations`, { _csrf: csrfOf(profile.html) });
  const code = new URL(issued.headers.get('location')!, invite.url).searchParams.get('invitation')!;
  const joined = await signUp(invite, new Browser(), { name: 'Frank', username: 'frank', password: 'frank-password-1' }, `/account/signup?invite=${code}`);
  t.is(joined.status, 303);
  t.is((await signUp(invite, new Browser(), { name: 'Gina', username: 'gina', password: 'gina-password-1', invite: code })).status, 403, 'used once');
  t.deepEqual(invite.serverErrors, []);
});

test('changing the password asks for the current one and ends every other session; names are checked on profile and sign-up', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  await seedBasics(server);
  const here = new Browser();
  const elsewhere = new Browser();
  await codeFor(server, WEB, {}, { browser: here });
  await codeFor(server, WEB, {}, { browser: elsewhere });
  t.is((await elsewhere.fetch(`${server.url}/account/apps`)).status, 200);

  const page = await open(server, here, '/account/password');
  const wrong = await here.postForm(`${server.url}/account/password`, { _csrf: csrfOf(page.html), current: 'not-it-at-all', password: 'alice-password-2' });
  t.is(wrong.status, 401);
  t.is((await here.postForm(`${server.url}/account/password`, { current: ALICE.password, password: 'alice-password-2' })).status, 403, 'CSRF');
  const short = await here.postForm(`${server.url}/account/password`, { _csrf: csrfOf(page.html), current: ALICE.password, password: 'short' });
  t.is(short.status, 400);
  t.regex(await short.text(), /Choose a password of at least 8 characters/);
  const changed = await here.postForm(`${server.url}/account/password`, { _csrf: csrfOf(page.html), current: ALICE.password, password: 'alice-password-2' });
  t.is(changed.status, 303);
  t.is((await here.fetch(`${server.url}/account/apps`)).status, 200, 'this browser stays signed in');
  t.is((await elsewhere.fetch(`${server.url}/account/apps`)).status, 302, 'the other one is sent to sign in');
  t.truthy(await server.plaza.oidc.accounts.authenticate(ALICE.username, 'alice-password-2'));
  t.falsy(await server.plaza.oidc.accounts.authenticate(ALICE.username, ALICE.password));

  const profile = await open(server, here, '/account/profile');
  const blank = await here.postForm(`${server.url}/account/profile`, { _csrf: csrfOf(profile.html), name: '   ' });
  t.is(blank.status, 400);
  t.regex(await blank.text(), /Enter a name of up to 200 characters/);
  const badName = await signUp(server, new Browser(), { name: 'x'.repeat(201), username: 'erin', password: 'long-enough-1' });
  t.is(badName.status, 400);
  t.regex(badName.html, /Enter a name of up to 200 characters/);
  t.is(await server.plaza.oidc.accounts.findByUsername('erin'), undefined);
  t.deepEqual(server.serverErrors, []);
});
