// My apps, one entry per app, says where each app holds the user's sign-in and when it last acted: the devices its
// tokens are bound to (by name), the H5 page it handed the user over to, and its last act as the user.
import test from 'ava';
import { startServer } from '../helpers/harness.ts';
import { Browser, dpopKey, dpopProof, tokenRequest } from '../helpers/oauth.ts';
import { codeFor, redeemCode, seedBasics, ALICE, PHONE, WEB } from '../helpers/fixtures.ts';
import { redeemHandoffAsPage } from '../helpers/client_libraries.ts';
import { ALL_API_SCOPES, api, TOKEN_EXCHANGE, userApiToken } from '../helpers/social.ts';

const PHONE_UA = 'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';

class PhoneBrowser extends Browser {
  override fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('user-agent', PHONE_UA);
    return super.fetch(url, { ...init, headers });
  }
}

/** One app's entry on My apps, as text. */
function entryOf(html: string, clientId: string): string {
  const start = html.indexOf(`<li data-client-id="${clientId}">`);
  return start < 0 ? '' : html.slice(start, html.indexOf('</form>\n  </li>', start));
}

test('My apps shows an app\'s devices by name, its H5 page visits and when it last acted', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  await seedBasics(server);
  await server.plaza.admin.seed({ clients: [PHONE], groups: [{ id: 'hiking', name: 'Weekend Hiking', members: ['alice'] }] });

  // The phone app signs alice in on an Android phone's key, in the phone's browser.
  const browser = new PhoneBrowser();
  const key = await dpopKey();
  const resource = `${server.url}/api`;
  const { code, verifier } = await codeFor(server, PHONE, { scope: ALL_API_SCOPES, resource, dpop_jkt: key.jkt }, { browser });
  const phone = await redeemCode(server, code, verifier, PHONE, { resource },
    { dpop: await dpopProof(key, 'POST', `${server.url}/token`) });
  t.is(phone.status, 200, JSON.stringify(phone.body));

  // The web app posts as alice, then hands her over to the H5 page.
  const webToken = await userApiToken(server, ALICE, 'groups:read messages:read messages:post');
  const before = await (await browser.fetch(`${server.url}/account/apps`)).text();
  t.notRegex(entryOf(before, WEB.client_id), /Last acted|H5 page/, 'nothing yet');
  t.is((await api(server, 'POST', '/groups/hiking/messages', webToken, { text: 'Hello from the web app' })).status, 201);
  const handoff = await tokenRequest(server, {
    grant_type: TOKEN_EXCHANGE, client_id: WEB.client_id, client_secret: WEB.client_secret, subject_token: webToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', requested_token_type: 'urn:plaza:token-type:handoff-code', audience: 'plaza-h5',
  });
  t.is(handoff.status, 200, JSON.stringify(handoff.body));
  await redeemHandoffAsPage(server, handoff.body.access_token);

  const html = await (await browser.fetch(`${server.url}/account/apps`)).text();
  const web = entryOf(html, WEB.client_id);
  t.regex(web, /Last acted/);
  t.regex(web, /Its H5 page, last opened/);
  t.notRegex(web, /Bound to your devices/);
  const phoneEntry = entryOf(html, PHONE.client_id);
  t.regex(phoneEntry, /Bound to your devices/);
  t.regex(phoneEntry, /Chrome 126 on Android 14, last used/);
  t.notRegex(phoneEntry, /Last acted|H5 page/);
  t.is(entryOf(html, 'plaza-h5'), '', 'the H5 page is no app of its own');

  const zh = await (await browser.fetch(`${server.url}/account/apps`, { headers: { 'accept-language': 'zh-CN' } })).text();
  t.regex(entryOf(zh, WEB.client_id), /最近一次操作：/);
  t.regex(entryOf(zh, WEB.client_id), /它的 H5 页面，最近打开于/);
  t.deepEqual(server.serverErrors, []);
});
