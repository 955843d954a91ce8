// examples/web-login.ts, run as its own process against a started Plaza: a browser signs in through it.
import test from 'ava';
import { Example } from '../helpers/examples.ts';
import { freePort, startServer } from '../helpers/harness.ts';
import { authorize, Browser } from '../helpers/oauth.ts';
import { ALICE } from '../helpers/fixtures.ts';

test('code + PKCE through the app, a refresh token with prompt=consent, the groups from /api', async (t) => {
  const plaza = await startServer();
  const appUrl = `http://127.0.0.1:${await freePort()}`;
  const app = { client_id: 'example-web', client_secret: 'example-web-secret-0123456789-012', client_name: 'Example Web App',
    redirect_uris: [`${appUrl}/callback`], token_endpoint_auth_method: 'client_secret_post', grant_types: ['authorization_code', 'refresh_token'] };
  await plaza.plaza.admin.seed({ users: [ALICE], clients: [app], groups: [{ id: 'hiking', name: 'Weekend Hiking', members: [ALICE.username] }] });
  const example = new Example('web-login', { PLAZA_ISSUER: plaza.url, CLIENT_ID: app.client_id, CLIENT_SECRET: app.client_secret, APP_URL: appUrl });
  t.teardown(async () => {
    await example.stop();
    await plaza.stop();
  });
  await example.line(/^web-login example: open /);

  const browser = new Browser();
  const start = await browser.fetch(`${appUrl}/`);
  t.is(start.status, 302);
  const request = new URL(start.headers.get('location')!);
  t.is(request.origin, plaza.url);
  const { callback } = await authorize(plaza, browser, Object.fromEntries(request.searchParams), { redirectUri: `${appUrl}/callback` });
  const page = await browser.fetch(callback.href);
  const text = await page.text();
  t.is(page.status, 200, text);
  t.regex(text, /^Signed in as Alice Example \(sub [^)]+\)\.$/m);
  t.regex(text, /^Refresh token: yes\.$/m);
  t.regex(text, /^Your groups: Weekend Hiking\.$/m);
  t.deepEqual(plaza.serverErrors, []);
});
