// Asynchronous calls over HTTP: encrypted submit, 202, work in the background, a signed callback with retries.
import anyTest, { type TestFn } from 'ava';
import { compactDecrypt, decodeJwt, exportJWK, generateKeyPair, type JWK } from 'jose';
import { Webhook } from 'standardwebhooks';
import { oneOf } from '../../server/store/index.ts';
import { JOBS, type Job } from '../../server/async/index.ts';
import { MESSAGES, type Message } from '../../server/social/index.ts';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { seedBasics } from '../helpers/fixtures.ts';
import { api } from '../helpers/social.ts';
import { appUserToken, asyncApp, encryptRequest, jobStatus, plazaEncryptionKey, submit, waitForJob } from '../helpers/async_client.ts';

const test = anyTest as TestFn<{ server: TestServer; rsa: JWK; ec: JWK; receivers: WebhookReceiver[] }>;

test.before(async (t) => {
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', CALLBACK_RETRY_SCHEDULE: '0s,300ms,300ms', WORKER_POLL_MS: '20' } });
  await seedBasics(server);
  await server.plaza.admin.seed({ groups: [{ id: 'hiking', name: 'Weekend Hiking', members: ['alice'] }, { id: 'chess', name: 'Chess', members: ['bob'] }] });
  t.context = { server, rsa: await plazaEncryptionKey(server), ec: await plazaEncryptionKey(server, 'ECDH-ES'), receivers: [] };
});
test.after.always(async (t) => {
  await t.context.server.stop();
  for (const r of t.context.receivers) await r.stop();
});
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

let apps = 0;
/** Each test gets its own app and callback endpoint. */
async function newApp(t: { context: { server: TestServer; receivers: WebhookReceiver[] } }, extra: Record<string, unknown> = {}) {
  const receiver = await new WebhookReceiver().start();
  t.context.receivers.push(receiver);
  const app = { ...asyncApp(receiver, `async-${(apps += 1)}`), ...extra };
  await t.context.server.plaza.admin.seed({ clients: [app] });
  const token = await appUserToken(t.context.server, app);
  const sub = decodeJwt(token).sub as string;
  return { receiver, app, token, sub };
}

const post = (sub: string, text: string, group = 'hiking') => ({ api: 'messages.post', user: sub, format: 'json', data: { group_id: group, text } });

/** Jobs queued for these apps only: sibling tests submit theirs concurrently. */
async function jobCount(server: TestServer, clientIds: string[]) {
  return server.plaza.store.collection<Job>(JOBS).count({ clientId: oneOf(clientIds) });
}

test('submit, 202, the message is posted, and a signed callback arrives', async (t) => {
  const { server, rsa } = t.context;
  const { receiver, app, token, sub } = await newApp(t);
  const hook = receiver.next();
  const res = await submit(server, token, await encryptRequest(rsa, post(sub, 'async hello')));
  t.is(res.status, 202, JSON.stringify(res.body));
  t.truthy(res.body.job_id);
  t.is(res.headers.get('location'), res.body.status_url);
  t.is(res.body.status_url, `${server.url}/api/async/jobs/${res.body.job_id}`);

  const received = await hook;
  const payload = new Webhook(app.webhook_secret).verify(received.body, received.headers as Record<string, string>) as { type: string; data: Record<string, any> };
  t.is(payload.type, 'job.succeeded');
  t.is(payload.data.job_id, res.body.job_id);
  t.is(payload.data.api, 'messages.post');
  t.like(payload.data.result, { group_id: 'hiking', author: sub, via: app.client_id, text: 'async hello' });

  const status = await waitForJob(server, token, res.body.job_id, (j) => j.deliveries[0]?.state === 'delivered');
  t.is(status.state, 'succeeded');
  t.is(status.deliveries[0].attempts[0].status, 204);
  t.is(status.deliveries[0].webhook_id, received.headers['webhook-id']);
  const messages = await api(server, 'GET', '/groups/hiking/messages', token);
  t.is(messages.body.filter((m: { text: string }) => m.text === 'async hello').length, 1);
});

test('messages.list with an ECDH-ES encrypted request', async (t) => {
  const { server, ec } = t.context;
  const { receiver, token, sub } = await newApp(t);
  const hook = receiver.next();
  const res = await submit(server, token, await encryptRequest(ec, { api: 'messages.list', user: sub, format: 'json', data: { group_id: 'hiking' } }));
  t.is(res.status, 202);
  const body = JSON.parse((await hook).body);
  t.is(body.type, 'job.succeeded');
  t.true(Array.isArray(body.data.result));
});

test('every bad request is refused with a problem document, and nothing is queued', async (t) => {
  const { server, rsa } = t.context;
  const { app, token, sub } = await newApp(t);
  const readOnlyApp = (await newApp(t)).app;
  const readOnly = await appUserToken(server, readOnlyApp, 'messages:read');
  const clientIds = [app.client_id, readOnlyApp.client_id];
  const { publicKey } = await generateKeyPair('RSA-OAEP-256', { extractable: true });
  const foreignKey = { ...await exportJWK(publicKey), alg: 'RSA-OAEP-256', kid: rsa.kid };
  const good = await encryptRequest(rsa, post(sub, 'x'));
  const [h, k, iv, ct, tag] = good.split('.');
  const mid = Math.floor(ct.length / 2);
  const flipped = `${h}.${k}.${iv}.${ct.slice(0, mid)}${ct[mid] === 'A' ? 'B' : 'A'}${ct.slice(mid + 1)}.${tag}`;
  const before = await jobCount(server, clientIds);
  const cases: [string, Promise<Awaited<ReturnType<typeof submit>>>, number][] = [
    ['plaintext JSON', submit(server, token, JSON.stringify(post(sub, 'x')), { 'content-type': 'application/json' }), 415],
    ['a JWE for another key', submit(server, token, await encryptRequest(foreignKey, post(sub, 'x'))), 400],
    ['a JWE for an unknown kid', submit(server, token, await encryptRequest({ ...rsa, kid: 'nope' }, post(sub, 'x'))), 400],
    ['tampered ciphertext', submit(server, token, flipped), 400],
    ['not a JWE at all', submit(server, token, 'garbage'), 400],
    ['alg RSA-OAEP (SHA-1)', submit(server, token, await encryptRequest(rsa, post(sub, 'x'), { alg: 'RSA-OAEP' })), 400],
    ['unknown api', submit(server, token, await encryptRequest(rsa, { ...post(sub, 'x'), api: 'accounts.delete' })), 400],
    ['api named like an object property', submit(server, token, await encryptRequest(rsa, { ...post(sub, 'x'), api: 'constructor' })), 400],
    ['user is not the token subject', submit(server, token, await encryptRequest(rsa, post('someone-else', 'x'))), 403],
    ['format other than json', submit(server, token, await encryptRequest(rsa, { ...post(sub, 'x'), format: 'xml' })), 400],
    ['data that does not fit', submit(server, token, await encryptRequest(rsa, { ...post(sub, 'x'), data: { group_id: 'hiking' } })), 400],
    ['a group the user is not in', submit(server, token, await encryptRequest(rsa, post(sub, 'x', 'chess'))), 403],
    ['a token without messages:post', submit(server, readOnly, await encryptRequest(rsa, post(decodeJwt(readOnly).sub as string, 'x'))), 403],
    ['no token', submit(server, '', good), 401],
  ];
  for (const [name, pending, status] of cases) {
    const res = await pending;
    t.is(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
    t.is(res.type, 'application/problem+json', name);
  }
  t.is(await jobCount(server, clientIds), before, 'nothing was queued');
});

test('an Idempotency-Key makes a retried submit return the same job, and post once', async (t) => {
  const { server, rsa } = t.context;
  const { receiver, token, sub } = await newApp(t);
  const hook = receiver.next();
  const jwe = await encryptRequest(rsa, post(sub, 'only once'));
  const first = await submit(server, token, jwe, { 'idempotency-key': 'k-1' });
  const second = await submit(server, token, jwe, { 'idempotency-key': 'k-1' });
  t.is(first.status, 202);
  t.is(second.body.job_id, first.body.job_id);
  await hook;
  await waitForJob(server, token, first.body.job_id, (j) => j.state === 'succeeded');
  const messages = await api(server, 'GET', '/groups/hiking/messages', token);
  t.is(messages.body.filter((m: { text: string }) => m.text === 'only once').length, 1);
});

test('a callback that fails twice is delivered on the third attempt, with the same webhook-id', async (t) => {
  const { server, rsa } = t.context;
  const { receiver, token, sub } = await newApp(t);
  receiver.answers.push({ status: 500 }, { status: 503 });
  const res = await submit(server, token, await encryptRequest(rsa, post(sub, 'third time lucky')));
  const status = await waitForJob(server, token, res.body.job_id, (j) => j.deliveries[0]?.state === 'delivered');
  t.deepEqual(status.deliveries[0].attempts.map((a: { status: number }) => a.status), [500, 503, 204]);
  t.is(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, 1);
});

test('a callback that always fails is dead after the schedule; redeliver works', async (t) => {
  const { server, rsa } = t.context;
  const { receiver, token, sub } = await newApp(t);
  receiver.status = 500;
  const res = await submit(server, token, await encryptRequest(rsa, post(sub, 'into the void')));
  const dead = await waitForJob(server, token, res.body.job_id, (j) => j.deliveries[0]?.state === 'dead');
  t.is(dead.deliveries[0].attempts.length, 3);
  receiver.status = 204;
  const again = await fetch(`${server.url}/api/async/jobs/${res.body.job_id}/redeliver`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  t.is(again.status, 202);
  const delivered = await waitForJob(server, token, res.body.job_id, (j) => j.deliveries[0]?.state === 'delivered');
  t.is(delivered.deliveries[0].attempts.at(-1).status, 204);
  t.is(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, 1);
});

test('429 is retried no earlier than its Retry-After; 410 disables the callback until re-enabled', async (t) => {
  const { server, rsa } = t.context;
  const { receiver, app, token, sub } = await newApp(t);
  receiver.answers.push({ status: 429, headers: { 'retry-after': '1' } });
  const slow = await submit(server, token, await encryptRequest(rsa, post(sub, 'later please')));
  const delivered = await waitForJob(server, token, slow.body.job_id, (j) => j.deliveries[0]?.state === 'delivered');
  const [a, b] = delivered.deliveries[0].attempts.map((x: { at: string }) => Date.parse(x.at));
  t.true(b - a >= 1000, 'the second attempt waited for Retry-After');

  receiver.answers.push({ status: 410 });
  const gone = await submit(server, token, await encryptRequest(rsa, post(sub, 'gone')));
  const disabled = await waitForJob(server, token, gone.body.job_id, (j) => j.deliveries[0]?.state === 'disabled');
  t.is(disabled.deliveries[0].attempts.length, 1);
  const next = await submit(server, token, await encryptRequest(rsa, post(sub, 'while disabled')));
  const skipped = await waitForJob(server, token, next.body.job_id, (j) => j.deliveries[0]?.state === 'disabled');
  t.regex(skipped.deliveries[0].attempts[0].error, /disabled/);
  t.is(receiver.received.length, 3, 'nothing was sent while disabled');
  t.true(await server.plaza.admin.enableCallback(app.client_id));
});

test('callbacks are encrypted to the client\'s registered encryption key', async (t) => {
  const { server, rsa } = t.context;
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
  const jwks = { keys: [{ ...await exportJWK(publicKey), use: 'enc', alg: 'ECDH-ES', kid: 'app-enc-1' }] };
  const { receiver, app, token, sub } = await newApp(t, { jwks });
  const hook = receiver.next();
  await submit(server, token, await encryptRequest(rsa, post(sub, 'secret result')));
  const received = await hook;
  t.is(received.headers['content-type'], 'application/jose');
  // The signature covers the JWE as sent (standardwebhooks' verify() also parses the body as JSON, so check by hand).
  const timestamp = new Date(Number(received.headers['webhook-timestamp']) * 1000);
  t.is(received.headers['webhook-signature'], new Webhook(app.webhook_secret).sign(received.headers['webhook-id'] as string, timestamp, received.body));
  const body = JSON.parse(new TextDecoder().decode((await compactDecrypt(received.body, privateKey)).plaintext));
  t.is(body.type, 'job.succeeded');
  t.is(body.data.result.text, 'secret result');
});

test('another client cannot see or redeliver a job', async (t) => {
  const { server, rsa } = t.context;
  const mine = await newApp(t);
  const theirs = await newApp(t);
  const res = await submit(server, mine.token, await encryptRequest(rsa, post(mine.sub, 'mine')));
  t.is((await jobStatus(server, theirs.token, res.body.job_id)).status, 404);
  const redeliver = await fetch(`${server.url}/api/async/jobs/${res.body.job_id}/redeliver`, { method: 'POST', headers: { authorization: `Bearer ${theirs.token}` } });
  t.is(redeliver.status, 404);
});

test('a grant revoked between submit and work: the job fails, nothing is posted', async (t) => {
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', RUN_WORKER: '0' } });
  t.teardown(() => server.stop());
  await seedBasics(server);
  await server.plaza.admin.seed({ groups: [{ id: 'hiking', name: 'Weekend Hiking', members: ['alice'] }] });
  const receiver = await new WebhookReceiver().start();
  t.context.receivers.push(receiver);
  const app = asyncApp(receiver, 'revoked-app');
  await server.plaza.admin.seed({ clients: [app] });
  const token = await appUserToken(server, app);
  const key = (await (await fetch(`${server.url}/jwks`)).json() as { keys: JWK[] }).keys.find((k) => k.use === 'enc' && k.alg === 'RSA-OAEP-256')!;
  const res = await submit(server, token, await encryptRequest(key, post(decodeJwt(token).sub as string, 'too late')));
  t.is(res.status, 202);
  await server.plaza.oidc.revokeGrant(decodeJwt(token).grant_id as string);
  const hook = receiver.next();
  const worker = server.plaza.async.newWorker();
  worker.start();
  t.teardown(() => worker.stop());
  const body = JSON.parse((await hook).body);
  t.is(body.type, 'job.failed');
  t.is(body.data.error.code, 'forbidden');
  const messages = await server.plaza.store.collection<Message>(MESSAGES).find({});
  t.false(messages.some((m) => m.text === 'too late'));
});
