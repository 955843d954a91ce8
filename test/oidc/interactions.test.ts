// The login and consent pages: CSRF, throttling, headers, and clear answers to bad input.
import anyTest, { type TestFn } from 'ava';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { Browser, authorize, csrfOf, pkce } from '../helpers/oauth.ts';
import { codeRequest, seedBasics, WEB } from '../helpers/fixtures.ts';

const test = anyTest as TestFn<{ server: TestServer }>;

test.before(async (t) => {
  t.context.server = await startServer({ env: { LOGIN_MAX_FAILURES: '3', LOGIN_WINDOW: '600' } });
  await seedBasics(t.context.server);
});
test.after.always(async (t) => { await t.context.server.stop(); });
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

/** Opens the login page of a fresh authorization request. */
async function loginPage(server: TestServer, browser = new Browser()) {
  let res = await browser.fetch(`${server.url}/auth?${new URLSearchParams(codeRequest(WEB, pkce().challenge))}`);
  const location = new URL(res.headers.get('location')!, server.url).href;
  res = await browser.fetch(location);
  const html = await res.text();
  return { browser, res, html, uid: location.split('/').pop()!, csrf: csrfOf(html) };
}

test('login and consent pages carry strict security headers and are not cached', async (t) => {
  const { res } = await loginPage(t.context.server);
  t.is(res.status, 200);
  t.is(res.headers.get('cache-control'), 'no-store');
  t.regex(res.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
  t.regex(res.headers.get('content-security-policy')!, /script-src 'self'/);
  t.is(res.headers.get('x-frame-options'), 'DENY');
  t.is(res.headers.get('x-content-type-options'), 'nosniff');
  t.is(res.headers.get('referrer-policy'), 'no-referrer');
});

test('a login form without the CSRF token, or with another browser\'s, is refused', async (t) => {
  const { server } = t.context;
  const { browser, uid } = await loginPage(server);
  const missing = await browser.postForm(`${server.url}/interaction/${uid}/login`, { username: 'alice', password: 'alice-password-1' });
  t.is(missing.status, 403);
  t.regex(await missing.text(), /form has expired or was not sent from this site/);
  const other = await loginPage(server);
  const foreign = await browser.postForm(`${server.url}/interaction/${uid}/login`, { _csrf: other.csrf, username: 'alice', password: 'alice-password-1' });
  t.is(foreign.status, 403);
});

test('a consent form without the CSRF token is refused', async (t) => {
  const { server } = t.context;
  const browser = new Browser();
  const { verifier: _v, challenge } = pkce();
  let url = `${server.url}/auth?${new URLSearchParams(codeRequest(WEB, challenge))}`;
  let res = await browser.fetch(url);
  url = new URL(res.headers.get('location')!, server.url).href;
  const uid = url.split('/').pop()!;
  const html = await (await browser.fetch(url)).text();
  res = await browser.postForm(`${server.url}/interaction/${uid}/login`, { _csrf: csrfOf(html), username: 'alice', password: 'alice-password-1' });
  res = await browser.fetch(new URL(res.headers.get('location')!, server.url).href);
  const consentUrl = new URL(res.headers.get('location')!, server.url).href;
  t.regex(await (await browser.fetch(consentUrl)).text(), /wants to access your Plaza account/);
  const forged = await browser.postForm(`${server.url}/interaction/${uid}/confirm`, { _csrf: 'forged' });
  t.is(forged.status, 403);
});

test('wrong passwords get a clear message; too many lock the account with 429 and Retry-After', async (t) => {
  const { server } = t.context;
  for (let i = 0; i < 3; i += 1) {
    const { browser, uid, csrf } = await loginPage(server);
    const res = await browser.postForm(`${server.url}/interaction/${uid}/login`, { _csrf: csrf, username: 'bob', password: `wrong-${i}` });
    t.is(res.status, 401);
    t.regex(await res.text(), /Wrong username or password/);
  }
  const { browser, uid, csrf } = await loginPage(server);
  const locked = await browser.postForm(`${server.url}/interaction/${uid}/login`, { _csrf: csrf, username: 'bob', password: 'bob-password-1' });
  t.is(locked.status, 429);
  const retryAfter = Number(locked.headers.get('retry-after'));
  t.true(retryAfter > 0 && retryAfter <= 600);
  t.regex(await locked.text(), /Too many failed attempts/);
  const alice = await authorize(server, new Browser(), codeRequest(WEB, pkce().challenge));
  t.truthy(alice.callback.searchParams.get('code'), 'other accounts are not locked');
});

test('an unknown or expired interaction gets an error page', async (t) => {
  const { server } = t.context;
  const res = await fetch(`${server.url}/interaction/does-not-exist`);
  t.is(res.status, 400);
  t.regex(res.headers.get('content-type')!, /text\/html/);
  t.regex(await res.text(), /interaction session/);
});

test('user input is escaped in pages', async (t) => {
  const { server } = t.context;
  const { browser, uid, csrf } = await loginPage(server);
  const res = await browser.postForm(`${server.url}/interaction/${uid}/login`, { _csrf: csrf, username: '"><script>alert(1)</script>', password: 'x' });
  const html = await res.text();
  t.false(html.includes('<script>alert(1)</script>'));
  t.true(html.includes('&quot;&gt;&lt;script&gt;'));
});

test('many failures from one address lock that address, for every account', async (t) => {
  const server = await startServer({ env: { LOGIN_MAX_FAILURES: '2' } });
  t.teardown(() => server.stop());
  await seedBasics(server);
  for (let i = 0; i < 8; i += 1) {
    const { browser, uid, csrf } = await loginPage(server);
    const res = await browser.postForm(`${server.url}/interaction/${uid}/login`, { _csrf: csrf, username: `nobody-${i}`, password: 'guess' });
    t.is(res.status, 401);
  }
  const { browser, uid, csrf } = await loginPage(server);
  const res = await browser.postForm(`${server.url}/interaction/${uid}/login`, { _csrf: csrf, username: 'alice', password: 'alice-password-1' });
  t.is(res.status, 429);
  t.truthy(res.headers.get('retry-after'));
});

test('prompt=login asks a signed-in user to sign in again', async (t) => {
  const { server } = t.context;
  const browser = new Browser();
  await authorize(server, browser, codeRequest(WEB, pkce().challenge));
  const again = await authorize(server, browser, codeRequest(WEB, pkce().challenge, { prompt: 'login', scope: 'openid profile' }));
  t.is(again.pages.length, 1);
  t.regex(again.pages[0], /asks you to sign in/);
  t.truthy(again.callback.searchParams.get('code'));
});

test('parallel wrong passwords cannot get past the limit', async (t) => {
  const server = await startServer({ env: { LOGIN_MAX_FAILURES: '3' } });
  t.teardown(() => server.stop());
  await seedBasics(server);
  const pages = await Promise.all(Array.from({ length: 10 }, () => loginPage(server)));
  const answers = await Promise.all(pages.map(({ browser, uid, csrf }, i) => browser.postForm(`${server.url}/interaction/${uid}/login`, { _csrf: csrf, username: 'bob', password: `guess-${i}` })));
  const statuses = answers.map((r) => r.status);
  t.true(statuses.filter((s) => s === 401).length <= 3, statuses.join(','));
  t.true(statuses.filter((s) => s === 429).length >= 7, statuses.join(','));
});
