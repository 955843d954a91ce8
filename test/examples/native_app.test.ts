// examples/native-app.ts, run as its own process: PAR + DPoP with Plaza asking for nonces everywhere; the browser
// signs in and comes back to the app's loopback port.
import test from 'ava';
import { Example } from '../helpers/examples.ts';
import { startServer } from '../helpers/harness.ts';
import { authorize, Browser } from '../helpers/oauth.ts';
import { seedBasics, ALICE } from '../helpers/fixtures.ts';
import { api, userApiToken } from '../helpers/social.ts';

test('the native app\'s tokens are bound to its key, through the nonce challenges, and it posts and refreshes', async (t) => {
  const plaza = await startServer({ env: { DPOP_REQUIRE_NONCE: '1' } });
  const phone = {
    client_id: 'example-phone', client_name: 'Example Phone App', application_type: 'native', token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1/callback'], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
  };
  await seedBasics(plaza);
  await plaza.plaza.admin.seed({ clients: [phone], groups: [{ id: 'hiking', name: 'Weekend Hiking', members: [ALICE.username] }] });
  const example = new Example('native-app', { PLAZA_ISSUER: plaza.url, CLIENT_ID: phone.client_id, GROUP_ID: 'hiking' });
  t.teardown(async () => {
    await example.stop();
    await plaza.stop();
  });
  const [, redirectUri] = await example.line(/^native-app example: waiting at (\S+)$/);
  const [, url] = await example.line(/^native-app example: open (\S+)$/);
  const request = new URL(url);
  t.truthy(request.searchParams.get('request_uri'), 'the authorization request was pushed');
  const { callback } = await authorize(plaza, new Browser(), Object.fromEntries(request.searchParams), { redirectUri });
  t.is((await fetch(callback)).status, 200, 'the browser lands on the app\'s loopback port');

  t.is(await example.exitCode(), 0, example.lines.join('\n'));
  const outcome = JSON.parse(example.lines.at(-1)!);
  t.like(outcome, { token_type: 'dpop', posted: 201, refreshed_token_type: 'dpop' });
  const terminals = await plaza.plaza.admin.terminalsOf(ALICE.username);
  t.true(terminals!.some((terminal) => terminal.jkt === outcome.key_thumbprint), 'Plaza recorded the terminal with the app\'s key');
  const { body: messages } = await api(plaza, 'GET', '/groups/hiking/messages', await userApiToken(plaza));
  t.true(messages.some((m: { text: string; via: string }) => m.text === 'Posted from the native app' && m.via === phone.client_id));
  t.deepEqual(plaza.serverErrors, []);
});
