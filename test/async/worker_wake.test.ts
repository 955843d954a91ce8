// A job submitted to the process a worker runs in starts that worker at once, and its callback too: the poll is only
// for work queued by other processes. With a poll longer than the test may run, only the wake-up gets the job done.
import test from 'ava';
import { decodeJwt } from 'jose';
import { startServer, waitUntil } from '../helpers/harness.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { seedBasics } from '../helpers/fixtures.ts';
import { appUserToken, asyncApp, encryptRequest, plazaEncryptionKey, submit } from '../helpers/async_client.ts';

test('an idle worker starts on a job queued in its own process, and delivers its callback, without waiting for its poll', async (t) => {
  const receiver = await new WebhookReceiver().start();
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', WORKER_POLL_MS: '600000' } });
  t.teardown(async () => { await server.stop(); await receiver.stop(); });
  await seedBasics(server);
  await server.plaza.admin.seed({ groups: [{ id: 'hiking', name: 'Weekend Hiking', members: ['alice'] }] });
  const app = asyncApp(receiver, 'woken-app');
  await server.plaza.admin.seed({ clients: [app] });
  const token = await appUserToken(server, app);
  const key = await plazaEncryptionKey(server);
  for (const text of ['first', 'second']) {
    const res = await submit(server, token, await encryptRequest(key, { api: 'messages.post', user: decodeJwt(token).sub, format: 'json', data: { group_id: 'hiking', text } }));
    t.is(res.status, 202);
    t.truthy(res.body.job_id);
    await waitUntil(`the callback of the ${text} job arrived`, async () => receiver.received.some((hook) => hook.body.includes(res.body.job_id)), 20_000);
  }
});
