// examples/action-bot.ts, run as its own process: alice adds it to a group, and its message appears there.
import test from 'ava';
import { forgedWebhook, startBotExample } from '../helpers/examples.ts';
import { api, userApiToken } from '../helpers/social.ts';

test('added to a group, the bot verifies the webhook, redeems the ticket and posts as alice via itself; a forged webhook is refused', async (t) => {
  const { plaza, botUrl, bot, example } = await startBotExample(t, 'action-bot', {
    client_id: 'example-bot', client_secret: 'example-bot-secret-0123456789-012', client_name: 'Example Bot',
  });

  const forged = await forgedWebhook(botUrl, { type: 'action.granted', data: { ticket: 'x', group_id: 'hiking', actions: ['messages:post'] } });
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
