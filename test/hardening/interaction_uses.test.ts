// An interaction token's use count is exact across processes: two Plaza processes (`npm start`) on one store, five
// replies at once with INTERACTION_MAX_USES=3, spread over both: exactly three are stored, the others refused.
import test from 'ava';
import { testEnv } from '../helpers/harness.ts';
import { ALICE, BOB, WEB } from '../helpers/fixtures.ts';
import { api, redeemInteraction, userApiToken, weatherBot } from '../helpers/social.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { PlazaProcess, removeStore, withPlaza } from '../helpers/plaza_process.ts';

const REPLIES = 5;
const MAX_USES = 3;

test('five parallel replies through two processes with max_uses 3: exactly three succeed', async (t) => {
  const receiver = await new WebhookReceiver().start();
  const shared = { LOG_LEVEL: 'error', ALLOW_INSECURE_CALLBACKS: '1', WORKER_POLL_MS: '20', INTERACTION_MAX_USES: String(MAX_USES) };
  const first = await testEnv({ env: shared });
  const second = await testEnv({ storeOf: { env: first }, env: { ...shared, ISSUER: first.ISSUER } });
  const weather = weatherBot(receiver);
  await withPlaza(first, (plaza) => plaza.admin.seed({
    users: [ALICE, BOB], clients: [WEB, weather], groups: [{ id: 'hiking', name: 'Weekend Hiking', members: [ALICE.username] }],
  }));
  // Store calls yield as a database server's would, so that the replies interleave within each process too.
  const plazas = [new PlazaProcess(first, { latency: true }), new PlazaProcess(second, { latency: true })];
  t.teardown(async () => {
    await Promise.all(plazas.map((p) => p.stop()));
    await receiver.stop();
    await removeStore(first);
  });
  await Promise.all(plazas.map((p) => p.start()));
  const [a, b] = plazas;

  const alice = await userApiToken(a);
  t.is((await api(a, 'POST', '/groups/hiking/apps', alice, { client_id: 'weather', actions: [], respond: true })).status, 201);
  const hook = receiver.next();
  const asked = await api(b, 'POST', '/groups/hiking/messages', alice, { text: '/weather Berlin' });
  const tokens = await redeemInteraction(a, weather, JSON.parse((await hook).body).data.ticket);
  t.is(tokens.body.authorization_details[0].max_uses, MAX_USES);

  const replies = await Promise.all(Array.from({ length: REPLIES }, (_, i) => api(plazas[i % 2], 'POST', '/groups/hiking/messages', tokens.body.access_token, {
    text: `reply ${i}`, reply_to: asked.body.id,
  })));
  t.is(replies.filter((r) => r.status === 201).length, MAX_USES, JSON.stringify(replies.map((r) => r.status)));
  t.true(replies.filter((r) => r.status !== 201).every((r) => r.status === 403 && r.body.code === 'insufficient_scope'));
  const stored = (await api(b, 'GET', '/groups/hiking/messages', alice)).body.filter((m: { reply_to?: string }) => m.reply_to === asked.body.id);
  t.is(stored.length, MAX_USES, 'exactly as many replies stored');
});
