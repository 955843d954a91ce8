// With the grant cache on, a revocation in this process still takes effect on the very next request.
import test from 'ava';
import { decodeJwt } from 'jose';
import { startServer } from '../helpers/harness.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { api, redeemTicket, seedSocial, userApiToken } from '../helpers/social.ts';
import { codeFor, redeemCode, WEB } from '../helpers/fixtures.ts';
import { Browser, csrfOf } from '../helpers/oauth.ts';

test('revocation beats the grant cache: removing an app, and revoking on My apps', async (t) => {
  const receiver = await new WebhookReceiver().start();
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', GRANT_CACHE_MS: '600000' } });
  t.teardown(async () => { await server.stop(); await receiver.stop(); });
  const { poster } = await seedSocial(server, receiver);
  const alice = await userApiToken(server);

  const hook = receiver.next();
  await api(server, 'POST', '/groups/hiking/apps', alice, { client_id: 'poster', actions: ['messages:post'] });
  const tokens = await redeemTicket(server, poster, JSON.parse((await hook).body).data.ticket);
  t.is((await api(server, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: 'cached now' })).status, 201);
  t.is((await api(server, 'DELETE', '/groups/hiking/apps/poster', alice)).status, 204);
  t.is((await api(server, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: 'after removal' })).status, 401);

  const browser = new Browser();
  const { code, verifier } = await codeFor(server, WEB, { scope: 'openid messages:read', resource: `${server.url}/api` }, { browser });
  const userToken = (await redeemCode(server, code, verifier, WEB, { resource: `${server.url}/api` })).body.access_token;
  t.is((await api(server, 'GET', '/groups/hiking/messages', userToken)).status, 200);
  const page = await (await browser.fetch(`${server.url}/account/apps`)).text();
  const grantId = decodeJwt(userToken).grant_id as string;
  t.true(page.includes(`/account/apps/${grantId}/revoke`));
  t.is((await browser.postForm(`${server.url}/account/apps/${grantId}/revoke`, { _csrf: csrfOf(page) })).status, 303);
  t.is((await api(server, 'GET', '/groups/hiking/messages', userToken)).status, 401);
  t.deepEqual(server.serverErrors, []);
});
