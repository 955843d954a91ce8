// examples/action-bot.ts, run as its own process: alice adds it to a group, and its message appears there.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { Example } from '../helpers/examples.ts';
import { freePort, startServer } from '../helpers/harness.ts';
import { seedBasics, ALICE } from '../helpers/fixtures.ts';
import { api, userApiToken, TOKEN_EXCHANGE } from '../helpers/social.ts';

test('added to a group, the bot verifies the webhook, redeems the ticket and posts as alice via itself; a forged webhook is refused', async (t) => {
  const plaza = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', WORKER_POLL_MS: '20' } });
  const botUrl = `http://127.0.0.1:${await freePort()}`;
  const bot = {
    client_id: 'example-bot', client_secret: 'example-bot-secret-0123456789-012', client_name: 'Example Bot',
    grant_types: [TOKEN_EXCHANGE], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post',
    callback_uri: `${botUrl}/hooks`, webhook_secret: `whsec_${randomBytes(32).toString('base64')}`,
  };
  await seedBasics(plaza);
  await plaza.plaza.admin.seed({ clients: [bot], groups: [{ id: 'hiking', name: 'Weekend Hiking', members: [ALICE.username] }] });
  const example = new Example('action-bot', {
    PLAZA_ISSUER: plaza.url, CLIENT_ID: bot.client_id, CLIENT_SECRET: bot.client_secret, WEBHOOK_SECRET: bot.webhook_secret, BOT_URL: botUrl,
  });
  t.teardown(async () => {
    await example.stop();
    await plaza.stop();
  });
  await example.line(/^action-bot example: listening/);

  const forged = await fetch(`${botUrl}/hooks`, {
    method: 'POST', body: JSON.stringify({ type: 'action.granted', data: { ticket: 'x', group_id: 'hiking', actions: ['messages:post'] } }),
    headers: { 'webhook-id': 'msg_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': `v1,${randomBytes(32).toString('base64')}` },
  });
  t.is(forged.status, 401);

  const alice = await userApiToken(plaza);
  t.is((await api(plaza, 'POST', '/groups/hiking/apps', alice, { client_id: bot.client_id, actions: ['messages:post'] })).status, 201);
  await example.line(/^posted in hiking as \S+: 201$/);
  const { body: messages } = await api(plaza, 'GET', '/groups/hiking/messages', alice);
  const { body: me } = await api(plaza, 'GET', '/me', alice);
  t.like(messages.find((m: { text: string }) => m.text === 'Hello! I was just added to this group.'), { author: me.sub, via: bot.client_id });
  t.false(example.lines.some((l) => l.startsWith('[stderr]')), example.lines.join('\n'));
  t.deepEqual(plaza.serverErrors, []);
});
