// What a worker that stops cleanly (SIGTERM) does last: hands back the jobs it still holds (`releaseAll`) at once,
// instead of leaving them to their lease.
import test from 'ava';
import { decodeJwt } from 'jose';
import { JOBS, type Job } from '../../server/async/index.ts';
import { startServer, waitUntil } from '../helpers/harness.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { seedBasics } from '../helpers/fixtures.ts';
import { appUserToken, asyncApp, encryptRequest, plazaEncryptionKey, submit } from '../helpers/async_client.ts';

test('jobs handed back by a stopping worker go back to the queue and another worker runs them before the lease ends', async (t) => {
  const receiver = await new WebhookReceiver().start();
  // A lease far longer than this test may wait: only the hand-back lets the second worker in.
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', RUN_WORKER: '0', JOB_LEASE_MS: '600000', WORKER_POLL_MS: '10' } });
  t.teardown(async () => { await server.stop(); await receiver.stop(); });
  await seedBasics(server);
  await server.plaza.admin.seed({ groups: [{ id: 'hiking', name: 'Weekend Hiking', members: ['alice'] }] });
  const app = asyncApp(receiver, 'stopping-app');
  await server.plaza.admin.seed({ clients: [app] });
  const token = await appUserToken(server, app);
  const payload = { api: 'messages.post', user: decodeJwt(token).sub, format: 'json', data: { group_id: 'hiking', text: 'handed back' } };
  const res = await submit(server, token, await encryptRequest(await plazaEncryptionKey(server), payload));
  t.is(res.status, 202);

  const { jobs } = server.plaza.async;
  t.is((await jobs.claim('stopping-worker', 600_000))?.id, res.body.job_id);
  await jobs.releaseAll('stopping-worker');

  const worker = server.plaza.async.newWorker();
  worker.start();
  t.teardown(() => worker.stop());
  const store = server.plaza.store.collection<Job>(JOBS);
  await waitUntil('the job is done', async () => (await store.get(res.body.job_id))?.state === 'succeeded', 15_000);
  t.is((await store.get(res.body.job_id))?.state, 'succeeded');
});
