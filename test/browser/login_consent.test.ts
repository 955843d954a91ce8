// A person in Chromium: signs in, consents, lands on the app with a code, then revokes the app on "My apps".
import test from 'ava';
import { createServer, type Server } from 'node:http';
import { screenshot } from '../helpers/chromium.ts';
import { signInOnPage, withBrowserPlaza } from '../helpers/browser_plaza.ts';
import { pkce, tokenRequest } from '../helpers/oauth.ts';
import { ALICE } from '../helpers/fixtures.ts';

/** The app's redirect URI: a real local page that shows what it received. */
async function appCallback(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<h1>Demo app callback</h1><p id="query">${new URL(req.url!, 'http://x').search.replace(/</g, '&lt;')}</p>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/cb` };
}

test('sign in, consent, get a code, then revoke the app on My apps', async (t) => {
  const { plaza, browser } = await withBrowserPlaza(t);
  const app = await appCallback();
  t.teardown(async () => { app.server.close(); });
  const client = {
    client_id: 'browser-app', client_secret: 'browser-app-secret-0123456789-012', client_name: 'Photo Printer',
    redirect_uris: [app.url], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
  };
  await plaza.plaza.admin.seed({ users: [ALICE], clients: [client] });

  const page = await browser.newPage();
  const { verifier, challenge } = pkce();
  await page.goto(`${plaza.url}/auth?${new URLSearchParams({
    client_id: client.client_id, response_type: 'code', redirect_uri: app.url, scope: 'openid profile',
    code_challenge: challenge, code_challenge_method: 'S256', state: 'browser-state',
  })}`);
  await t.notThrowsAsync(page.getByText('Photo Printer asks you to sign in').waitFor());
  await screenshot(page, '01-login');
  await signInOnPage(page, ALICE);

  await page.getByText('wants to access your Plaza account').waitFor();
  t.true(await page.getByText('See your name and username').isVisible());
  await screenshot(page, '02-consent');
  await page.getByRole('button', { name: 'Allow' }).click();

  await page.waitForURL((url) => url.href.startsWith(app.url));
  await screenshot(page, '03-app-callback');
  const landed = new URL(page.url());
  t.is(landed.searchParams.get('state'), 'browser-state');
  t.is(landed.searchParams.get('iss'), plaza.url);
  const tokens = await tokenRequest(plaza, {
    grant_type: 'authorization_code', code: landed.searchParams.get('code')!, code_verifier: verifier, redirect_uri: app.url,
  }, { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` });
  t.is(tokens.status, 200);

  await page.goto(`${plaza.url}/account/apps`);
  await page.getByRole('heading', { name: 'Photo Printer' }).waitFor();
  await screenshot(page, '04-my-apps');
  await page.getByRole('button', { name: 'Remove access' }).click();
  await page.getByText('Access revoked').waitFor();
  t.is(await page.getByRole('heading', { name: 'Photo Printer' }).count(), 0);
  await screenshot(page, '05-revoked');

  const userinfo = await fetch(`${plaza.url}/me`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
  t.is(userinfo.status, 401);
  t.deepEqual(plaza.serverErrors, []);
});
