// Three Plaza processes (`npm start`, each with its worker) on one store under load. Every one-time thing is
// redeemed once across processes: an action ticket, an authorization code, a rotating refresh token; the others
// get invalid_grant. Every job accepted by any process runs once and is called back once; nothing else fails.
import test from 'ava';
import { decodeJwt } from 'jose';
import { testEnv, waitUntil } from '../helpers/harness.ts';
import { Browser, tokenRequest } from '../helpers/oauth.ts';
import { codeFor, redeemCode, ALICE, BOB, SPA, WEB } from '../helpers/fixtures.ts';
import { api, posterApp, redeemTicket, userApiToken } from '../helpers/social.ts';
import { appUserToken, asyncApp, encryptRequest, jobStatus, plazaEncryptionKey, submit } from '../helpers/async_client.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { PlazaProcess, removeStore, withPlaza } from '../helpers/plaza_process.ts';
import { checkAll, Traffic, type Answer } from '../helpers/load.ts';

const PROCESSES = 3;
/** Requests sent at once for one redemption: two at each process. */
const RACERS = 2 * PROCESSES;
const TICKETS = 12;
const CODES = 3;
const REFRESH_TOKENS = 3;
const JOBS = 45;
const POSTS = 30;
/** Parallel lanes of tickets, and of submits and posts. */
const LANES = 3;

test('three Plaza processes on one store under load: one redemption each, every job run and called back once, no other error', async (t) => {
  const receiver = await new WebhookReceiver().start();
  // The load comes from a few clients; what is tested is one redemption each, not their allowance. A loaded
  // machine must not turn a slow callback into a retry: the test counts deliveries.
  const shared = { LOG_LEVEL: 'error', ALLOW_INSECURE_CALLBACKS: '1', WORKER_POLL_MS: '20', TOKEN_RATE_LIMIT: '0', WEBHOOK_TIMEOUT_MS: '30000' };
  const first = await testEnv({ env: shared });
  // One store and one issuer: the processes differ only in their ports, as nodes behind a load balancer would.
  const envs = [first];
  for (let i = 1; i < PROCESSES; i += 1) envs.push(await testEnv({ storeOf: { env: first }, env: { ...shared, ISSUER: first.ISSUER } }));
  const poster = posterApp(receiver);
  const app = asyncApp(receiver, 'mp-app');
  await withPlaza(first, (plaza) => plaza.admin.seed({
    users: [ALICE, BOB], clients: [WEB, SPA, poster, app], groups: [{ id: 'hiking', name: 'Weekend Hiking', members: [ALICE.username] }],
  }));
  // Store calls yield as a database server's would, so that requests interleave within each process too.
  const plazas = envs.map((env) => new PlazaProcess(env, { latency: true }));
  t.teardown(async () => {
    await Promise.all(plazas.map((p) => p.stop()));
    await receiver.stop();
    await removeStore(first);
  });
  await Promise.all(plazas.map((p) => p.start()));
  const [a] = plazas;
  const at = (i: number) => plazas[i % PROCESSES];

  const alice = await userApiToken(a);
  const appToken = await appUserToken(a, app);
  const sub = decodeJwt(appToken).sub as string;
  const key = await plazaEncryptionKey(a);
  const traffic = new Traffic();

  /** Sends RACERS copies of one redemption at once, two to each process; counts the winners and the refusals. */
  const race = async (what: string, redeem: (plaza: PlazaProcess) => Promise<Answer & { body: Record<string, any> }>) => {
    const answers = await Promise.all(Array.from({ length: RACERS }, (_, i) => traffic.send(what, [200, 400], () => redeem(at(i)))));
    const won = answers.filter((r) => r?.status === 200).length;
    const refused = answers.filter((r) => r?.status === 400 && r.body.error === 'invalid_grant').length;
    return { won, refused };
  };
  const races: { what: string; won: number; refused: number }[] = [];

  const taken = new Set<string>();
  const ticketsArrived = () => receiver.received.map((r) => JSON.parse(r.body)).filter((b) => b.type === 'action.granted').map((b) => b.data.ticket as string);
  /** The next action ticket delivered to the app and not yet raced, whichever process's worker delivered it. */
  const takeTicket = async () => {
    let ticket: string | undefined;
    await waitUntil('an action ticket arrives', async () => {
      ticket = ticketsArrived().find((x) => !taken.has(x));
      if (ticket) taken.add(ticket);
      return ticket !== undefined;
    });
    return ticket!;
  };
  const ticketLane = async (lane: number) => {
    for (let i = lane; i < TICKETS; i += LANES) {
      const added = await traffic.send('add app', [201], () => api(at(i), 'POST', '/groups/hiking/apps', alice, { client_id: poster.client_id, actions: ['messages:post'] }));
      if (!added) continue;
      const ticket = await takeTicket();
      races.push({ what: 'action ticket', ...await race('redeem ticket', (plaza) => redeemTicket(plaza, poster, ticket)) });
    }
  };
  const codeRaces = async () => {
    const browser = new Browser();
    for (let i = 0; i < CODES; i += 1) {
      const { code, verifier } = await codeFor(a, WEB, {}, { browser });
      races.push({ what: 'authorization code', ...await race('redeem code', (plaza) => redeemCode(plaza, code, verifier)) });
    }
  };
  const refreshRaces = async () => {
    const browser = new Browser();
    for (let i = 0; i < REFRESH_TOKENS; i += 1) {
      const { code, verifier } = await codeFor(a, SPA, {}, { browser });
      const tokens = await redeemCode(a, code, verifier, SPA);
      const refreshToken = tokens.body.refresh_token as string;
      races.push({ what: 'rotating refresh token', ...await race('refresh', (plaza) => tokenRequest(plaza, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: SPA.client_id })) });
    }
  };
  const jobs: { id: string; text: string }[] = [];
  const jobLane = async (lane: number) => {
    for (let i = lane; i < JOBS; i += LANES) {
      const text = `job ${i}`;
      const jwe = await encryptRequest(key, { api: 'messages.post', user: sub, format: 'json', data: { group_id: 'hiking', text } });
      const res = await traffic.send('submit job', [202], () => submit(at(i), appToken, jwe));
      if (res) jobs.push({ id: res.body.job_id, text });
    }
  };
  const posts: { id: string; text: string; plaza: number }[] = [];
  const postLane = async (lane: number) => {
    for (let i = lane; i < POSTS; i += LANES) {
      const text = `post ${i}`;
      const res = await traffic.send('post message', [201], () => api(at(i), 'POST', '/groups/hiking/messages', appToken, { text }));
      if (res) posts.push({ id: res.body.id, text, plaza: i % PROCESSES });
    }
  };
  const lanes = Array.from({ length: LANES }, (_, lane) => lane);
  await Promise.all([...lanes.map(ticketLane), codeRaces(), refreshRaces(), ...lanes.map(jobLane), ...lanes.map(postLane)]);

  t.log(`traffic: ${traffic.summary()}`);
  // With the servers' error lines, which say why when a request failed with a 5xx.
  t.deepEqual({ failures: traffic.failures, errors: plazas.flatMap((p) => p.errorLines()) }, { failures: [], errors: [] }, 'every request answered as expected');
  t.is(races.length, TICKETS + CODES + REFRESH_TOKENS);
  t.deepEqual(races.filter((r) => r.won !== 1 || r.refused !== RACERS - 1), [], `each redemption: one 200 and ${RACERS - 1} invalid_grant`);

  t.deepEqual(await checkAll(posts, 6, async (post) => {
    const res = await api(at(post.plaza + 1), 'GET', `/groups/hiking/messages/${post.id}`, appToken);
    return res.status === 200 && res.body.text === post.text ? undefined : `message ${post.id}: ${res.status}`;
  }), [], 'every message posted at one process is found at another');

  const webhookIds = () => receiver.received.map((r) => r.headers['webhook-id'] as string);
  await waitUntil('every job was called back', async () => {
    const seen = new Set(webhookIds());
    return jobs.every((j) => seen.has(`msg_job_${j.id}`));
  }).catch(() => undefined);
  t.deepEqual(await checkAll(jobs, 6, async (job) => {
    let status: Record<string, any> = {};
    await waitUntil(`job ${job.id}'s delivery is recorded`, async () => {
      status = (await jobStatus(a, appToken, job.id)).body;
      return status.deliveries?.[0]?.state === 'delivered';
    }, 15_000).catch(() => undefined);
    if (status.state !== 'succeeded' || status.result?.text !== job.text) return `job ${job.id}: ${JSON.stringify(status)}`;
    if (status.deliveries.length !== 1 || status.deliveries[0].attempts.length !== 1) return `job ${job.id} deliveries: ${JSON.stringify(status.deliveries)}`;
    const message = await api(at(1), 'GET', `/groups/hiking/messages/job-${job.id}`, appToken);
    return message.status === 200 ? undefined : `job ${job.id}'s message: ${message.status}`;
  }), [], 'every job succeeded, its callback delivered at the first attempt');
  const calls = new Map<string, number>();
  for (const id of webhookIds()) calls.set(id, (calls.get(id) ?? 0) + 1);
  t.deepEqual([...calls].filter(([, n]) => n !== 1), [], 'every callback and ticket webhook arrived once');
  t.is(calls.size, jobs.length + TICKETS);

  for (const plaza of plazas) {
    t.deepEqual(plaza.errorLines(), [], `no error in the log of ${plaza.url}`);
    t.deepEqual(plaza.crashes, []);
  }
  await Promise.all(plazas.map((p) => p.stop()));
  const runs = await withPlaza(first, async (plaza) => Promise.all(jobs.map(async (j) => (await plaza.async.jobs.get(j.id))?.runs)));
  t.deepEqual(runs.filter((n) => n !== 1), [], 'no job ran twice');
  t.log(`${PROCESSES} processes: ${races.length} redemption races of ${RACERS} requests, ${jobs.length} jobs, ${posts.length} posts`);
});
