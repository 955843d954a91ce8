// "My apps": a signed-in user sees the apps holding a grant and can revoke one with all its tokens.
import test from 'ava';
import { startServer } from '../helpers/harness.ts';
import { Browser, authorize, csrfOf, pkce, tokenRequest } from '../helpers/oauth.ts';
import { codeFor, codeRequest, redeemCode, seedBasics, WEB } from '../helpers/fixtures.ts';

test('My apps lists granted apps and revoking one kills its tokens', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  await seedBasics(server);
  const browser = new Browser();
  const { code, verifier } = await codeFor(server, WEB, {}, { browser });
  const tokens = await redeemCode(server, code, verifier);

  const anonymous = await new Browser().fetch(`${server.url}/account/apps`);
  t.is(anonymous.status, 302);
  t.regex(anonymous.headers.get('location')!, /\/auth\?client_id=plaza-account/);

  const page = await browser.fetch(`${server.url}/account/apps`);
  t.is(page.status, 200);
  const html = await page.text();
  t.regex(html, /Signed in as <strong>Alice Example<\/strong>/);
  t.regex(html, /<h2>Web App<\/h2>/);
  t.regex(html, /See your name and username/);
  const grantId = /action="\/account\/apps\/([^/]+)\/revoke"/.exec(html)![1];

  const forged = await browser.postForm(`${server.url}/account/apps/${grantId}/revoke`, { _csrf: 'forged' });
  t.is(forged.status, 403);
  const bob = new Browser();
  await authorize(server, bob, codeRequest(WEB, pkce().challenge), { username: 'bob', password: 'bob-password-1' });
  const bobsPage = await (await bob.fetch(`${server.url}/account/apps`)).text();
  const notHis = await bob.postForm(`${server.url}/account/apps/${grantId}/revoke`, { _csrf: csrfOf(bobsPage) });
  t.is(notHis.status, 404, 'another user cannot revoke alice\'s grant');

  const revoked = await browser.postForm(`${server.url}/account/apps/${grantId}/revoke`, { _csrf: csrfOf(html) });
  t.is(revoked.status, 303);
  t.is(revoked.headers.get('location'), '/account/apps?revoked=1');
  const after = await (await browser.fetch(`${server.url}/account/apps?revoked=1`)).text();
  t.regex(after, /Access revoked/);
  t.notRegex(after, /<h2>Web App<\/h2>/);

  const userinfo = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
  t.is(userinfo.status, 401, 'the access token died with the grant');
  const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: WEB.client_id, client_secret: WEB.client_secret });
  t.is(refresh.body.error, 'invalid_grant', 'the refresh token died with the grant');
  t.deepEqual(server.serverErrors, []);
});
