// examples/command-bot.ts, run as its own process: alice lets it answer when asked, types `/weather Berlin`, and the
// bot's answer appears under her message.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { Example } from '../helpers/examples.ts';
import { freePort, startServer } from '../helpers/harness.ts';
import { seedBasics, ALICE } from '../helpers/fixtures.ts';
import { api, userApiToken, TOKEN_EXCHANGE } from '../helpers/social.ts';

test('asked with /weather, the bot verifies the webhook, redeems the interaction ticket and replies under the message; a forged webhook is refused', async (t) => {
  const plaza = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', WORKER_POLL_MS: '20' } });
  const botUrl = `http://127.0.0.1:${await freePort()}`;
  const bot = {
    client_id: 'example-command-bot', client_secret: 'example-command-bot-secret-0123456', client_name: 'Example Weather Bot',
    grant_types: [TOKEN_EXCHANGE], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post',
    callback_uri: `${botUrl}/hooks`, webhook_secret: `whsec_${randomBytes(32).toString('base64')}`,
    plaza_triggers: { commands: [{ name: 'weather', description: 'The weather for a city', actions: ['messages:post'] }] },
  };
  await seedBasics(plaza);
  await plaza.plaza.admin.seed({ clients: [bot], groups: [{ id: 'hiking', name: 'Weekend Hiking', members: [ALICE.username] }] });
  const example = new Example('command-bot', {
    PLAZA_ISSUER: plaza.url, CLIENT_ID: bot.client_id, CLIENT_SECRET: bot.client_secret, WEBHOOK_SECRET: bot.webhook_secret, BOT_URL: botUrl,
  });
  t.teardown(async () => {
    await example.stop();
    await plaza.stop();
  });
  await example.line(/^command-bot example: listening/);

  const forged = await fetch(`${botUrl}/hooks`, {
    method: 'POST', body: JSON.stringify({ type: 'interaction.created', data: { ticket: 'x', actions: ['messages:post'] } }),
    headers: { 'webhook-id': 'msg_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': `v1,${randomBytes(32).toString('base64')}` },
  });
  t.is(forged.status, 401);

  const alice = await userApiToken(plaza);
  t.is((await api(plaza, 'POST', '/groups/hiking/apps', alice, { client_id: bot.client_id, actions: [], respond: true })).status, 201);
  const asked = await api(plaza, 'POST', '/groups/hiking/messages', alice, { text: '/weather Berlin' });
  t.is(asked.status, 201);
  await example.line(new RegExp(`^answered ${asked.body.id} in hiking: 201$`));
  const { body: messages } = await api(plaza, 'GET', '/groups/hiking/messages', alice);
  const { body: me } = await api(plaza, 'GET', '/me', alice);
  t.like(messages.find((m: { text: string }) => m.text === 'Weather for Berlin: 21°C and sunny.'), { author: me.sub, via: bot.client_id, reply_to: asked.body.id });
  t.false(example.lines.some((l) => l.startsWith('[stderr]')), example.lines.join('\n'));
  t.deepEqual(plaza.serverErrors, []);
});
