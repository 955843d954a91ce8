// examples/command-bot.ts, run as its own process: alice lets it answer when asked, types `/weather Berlin`, and the
// bot's answer appears under her message.
import test from 'ava';
import { forgedWebhook, startBotExample } from '../helpers/examples.ts';
import { api, userApiToken } from '../helpers/social.ts';

test('asked with /weather, the bot verifies the webhook, redeems the interaction ticket and replies under the message; a forged webhook is refused', async (t) => {
  const { plaza, botUrl, bot, example } = await startBotExample(t, 'command-bot', {
    client_id: 'example-command-bot', client_secret: 'example-command-bot-secret-0123456', client_name: 'Example Weather Bot',
    plaza_triggers: { commands: [{ name: 'weather', description: 'The weather for a city', actions: ['messages:post'] }] },
  });

  const forged = await forgedWebhook(botUrl, { type: 'interaction.created', data: { ticket: 'x', actions: ['messages:post'] } });
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
