// Workers die; accepted jobs are not lost. Worker processes are real (`npm run worker`), share the store with the
// server, and are killed with SIGKILL.
import test from 'ava';
import type { ChildProcess } from 'node:child_process';
import { startServer, waitUntil, type TestServer } from '../helpers/harness.ts';
import { killChild, spawnPlaza, stopChild } from '../helpers/plaza_process.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { seedBasics } from '../helpers/fixtures.ts';
import { appUserToken, asyncApp, encryptRequest, plazaEncryptionKey, submit } from '../helpers/async_client.ts';
import { decodeJwt } from 'jose';
import { DELIVERIES, JOBS, type Delivery, type Job } from '../../server/async/index.ts';
import { MESSAGES, type Message } from '../../server/social/index.ts';

const LEASE_MS = '800';

function startWorker(server: TestServer): ChildProcess {
  return spawnPlaza('worker', {
    ...server.env, ALLOW_INSECURE_CALLBACKS: '1', JOB_LEASE_MS: LEASE_MS, WORKER_POLL_MS: '10', CALLBACK_RETRY_SCHEDULE: '0s,200ms,200ms,200ms',
  });
}

async function setup() {
  const receiver = await new WebhookReceiver().start();
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', RUN_WORKER: '0', JOB_LEASE_MS: LEASE_MS } });
  await seedBasics(server);
  await server.plaza.admin.seed({ groups: [{ id: 'hiking', name: 'Weekend Hiking', members: ['alice'] }] });
  const app = asyncApp(receiver, 'crash-app');
  await server.plaza.admin.seed({ clients: [app] });
  const token = await appUserToken(server, app);
  const sub = decodeJwt(token).sub as string;
  const key = await plazaEncryptionKey(server);
  const store = server.plaza.store;
  return {
    receiver, server, token, sub, key,
    jobs: store.collection<Job>(JOBS),
    messages: store.collection<Message>(MESSAGES),
    deliveries: store.collection<Delivery>(DELIVERIES),
  };
}

test('a job whose worker died mid-job is taken over after its lease and acts once', async (t) => {
  const { receiver, server, token, sub, key, jobs, messages } = await setup();
  t.teardown(async () => { await server.stop(); await receiver.stop(); });
  const res = await submit(server, token, await encryptRequest(key, { api: 'messages.post', user: sub, format: 'json', data: { group_id: 'hiking', text: 'survives a crash' } }));
  t.is(res.status, 202);

  // What a worker that died mid-job leaves behind: the job claimed under its lease, the message already written.
  const claimed = await server.plaza.async.jobs.claim('worker-that-died', Number(LEASE_MS));
  t.is(claimed?.id, res.body.job_id);
  await messages.put({ id: `job-${claimed!.id}`, groupId: 'hiking', author: sub, via: 'crash-app', text: 'survives a crash', createdAt: Date.now() } as never);

  const hook = receiver.next();
  const worker = startWorker(server);
  t.teardown(() => stopChild(worker));
  const received = JSON.parse((await hook).body);
  t.is(received.type, 'job.succeeded');
  t.is(received.data.job_id, claimed!.id);
  await waitUntil('the job is done', async () => (await jobs.get(claimed!.id))?.state === 'succeeded');
  t.is((await jobs.get(claimed!.id))!.runs, 2, 'a second worker ran it after the lease ran out');
  t.is((await messages.find({})).filter((m) => m.text === 'survives a crash').length, 1, 'posted once, not twice');
});

test('SIGKILL a worker process under load: a second process finishes every job exactly once', async (t) => {
  const { receiver, server, token, sub, key, jobs, messages, deliveries } = await setup();
  t.teardown(async () => { await server.stop(); await receiver.stop(); });
  const total = 40;
  const ids: string[] = [];
  for (let i = 0; i < total; i += 1) {
    const res = await submit(server, token, await encryptRequest(key, { api: 'messages.post', user: sub, format: 'json', data: { group_id: 'hiking', text: `bulk-${i}` } }));
    t.is(res.status, 202);
    ids.push(res.body.job_id);
  }
  const first = startWorker(server);
  t.teardown(() => stopChild(first));
  await waitUntil('the first worker is under way', async () => (await jobs.count({ state: 'succeeded' })) >= 5);
  await killChild(first);
  const doneBeforeKill = await jobs.count({ state: 'succeeded' });
  t.true(doneBeforeKill < total, 'the kill came while work was left');

  const second = startWorker(server);
  t.teardown(() => stopChild(second));
  await waitUntil('every job succeeded', async () => (await jobs.count({ state: 'succeeded' })) === total);
  await waitUntil('every callback was delivered', async () => (await deliveries.count({ state: 'delivered' })) === total);

  const bulk = (await messages.find({})).filter((m) => m.text.startsWith('bulk-'));
  t.is(bulk.length, total, 'one message per job');
  t.is(new Set(bulk.map((m) => m.text)).size, total);
  const delivered = new Set(receiver.received.map((r) => JSON.parse(r.body).data.job_id));
  t.deepEqual([...delivered].sort(), [...ids].sort(), 'every accepted job was called back');
});
