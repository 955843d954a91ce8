// Plaza under load is killed with SIGKILL several times and started again on the same store (same DATA_DIR or
// database, same port and issuer): every 2xx it gave stays true. Tokens it issued still work, messages it answered
// 201 for exist, jobs it answered 202 for run and are called back. A committed SQLite write survives a process
// crash whatever its synchronous setting (README, SQLITE_SYNCHRONOUS), an acknowledged MongoDB write too: what this
// checks is that Plaza commits everything before it answers.
import test from 'ava';
import { decodeJwt } from 'jose';
import { testEnv, waitUntil } from '../helpers/harness.ts';
import { Browser, tokenRequest } from '../helpers/oauth.ts';
import { codeFor, redeemCode, ADMIN_TOOL, ALICE, BOB, SPA, WEB } from '../helpers/fixtures.ts';
import { api } from '../helpers/social.ts';
import { appUserToken, asyncApp, encryptRequest, jobStatus, plazaEncryptionKey, submit } from '../helpers/async_client.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { PlazaProcess, removeStore, withPlaza } from '../helpers/plaza_process.ts';
import { checkAll, Traffic } from '../helpers/load.ts';

const KILLS = 3;
/** Answers (2xx) to wait for between two kills, and after the last restart. */
const ANSWERS_PER_PHASE = 30;
/** Agents sending requests one after another: one per refresh-token chain, the others a mix. */
const AGENTS = 8;
const MAX_REQUESTS_PER_AGENT = 2000;
/** Rotating refresh-token chains, each driven by one agent. */
const CHAINS = 3;

interface Chain {
  refreshToken: string;
  /** False once a refresh went unanswered: the server may have used the token up without saying so. */
  live: boolean;
}

test('SIGKILL Plaza under load, three times: every token, message and job it answered 2xx for survives', async (t) => {
  const receiver = await new WebhookReceiver().start();
  const env = await testEnv({
    env: {
      LOG_LEVEL: 'error', ALLOW_INSECURE_CALLBACKS: '1',
      // A job or callback held by the killed process is taken over this soon after the restart.
      JOB_LEASE_MS: '1000', WORKER_POLL_MS: '20', CALLBACK_RETRY_SCHEDULE: '0s,200ms,500ms,1s,1s,1s',
      // The load comes from a few clients; what is tested is durability, not their allowance.
      TOKEN_RATE_LIMIT: '0',
    },
  });
  const app = asyncApp(receiver, 'crash-app');
  await withPlaza(env, (plaza) => plaza.admin.seed({
    users: [ALICE, BOB], clients: [WEB, SPA, ADMIN_TOOL, app], groups: [{ id: 'hiking', name: 'Weekend Hiking', members: [ALICE.username] }],
  }));
  const plaza = new PlazaProcess(env);
  t.teardown(async () => {
    await plaza.stop();
    await receiver.stop();
    await removeStore(env);
  });
  await plaza.start();

  const appToken = await appUserToken(plaza, app);
  const sub = decodeJwt(appToken).sub as string;
  const key = await plazaEncryptionKey(plaza);
  // One browser per chain: oidc-provider refuses a second authorization running in the same browser session at once.
  const browsers = Array.from({ length: CHAINS }, () => new Browser());
  const signedIn = async (client: typeof WEB | typeof SPA, browser = browsers[0]) => {
    const { code, verifier } = await codeFor(plaza, client, {}, { browser });
    const res = await redeemCode(plaza, code, verifier, client);
    if (res.status !== 200) throw new Error(`code redemption: ${JSON.stringify(res.body)}`);
    return res.body.refresh_token as string;
  };
  const webRefreshToken = await signedIn(WEB);
  // SPA is public: every refresh rotates its refresh token, so each chain is a sequence of one-time tokens.
  const chains: Chain[] = [];
  for (let i = 0; i < CHAINS; i += 1) chains.push({ refreshToken: await signedIn(SPA, browsers[i]), live: true });

  const traffic = new Traffic();
  const issued = { admin: [] as string[], web: [] as string[], spa: [] as string[] };
  const messages: { id: string; text: string }[] = [];
  const jobs: { id: string; text: string }[] = [];
  const rotated: string[] = [];
  let serial = 0;
  // Each step sends one request (or, for a new chain, one sign-in) and says whether it was answered.
  const mixed: (() => Promise<unknown>)[] = [
    async () => {
      const res = await traffic.send('client_credentials', [200], () => tokenRequest(plaza, {
        grant_type: 'client_credentials', client_id: ADMIN_TOOL.client_id, client_secret: ADMIN_TOOL.client_secret, scope: 'admin',
      }));
      if (res) issued.admin.push(res.body.access_token);
      return res;
    },
    async () => {
      const res = await traffic.send('refresh (web)', [200], () => tokenRequest(plaza, {
        grant_type: 'refresh_token', refresh_token: webRefreshToken, client_id: WEB.client_id, client_secret: WEB.client_secret,
      }));
      if (res) issued.web.push(res.body.access_token);
      return res;
    },
    async () => {
      const text = `posted ${serial += 1}`;
      const res = await traffic.send('post message', [201], () => api(plaza, 'POST', '/groups/hiking/messages', appToken, { text }));
      if (res) messages.push({ id: res.body.id, text });
      return res;
    },
    async () => {
      const text = `queued ${serial += 1}`;
      const jwe = await encryptRequest(key, { api: 'messages.post', user: sub, format: 'json', data: { group_id: 'hiking', text } });
      const res = await traffic.send('submit job', [202], () => submit(plaza, appToken, jwe));
      if (res) jobs.push({ id: res.body.job_id, text });
      return res;
    },
  ];
  // Chain n has agent n to itself, since its refresh token is single-use; a chain cut by a kill is replaced.
  const rotate = async (n: number) => {
    const chain = chains[n];
    if (!chain.live) {
      const res = await traffic.send('new spa chain', [200], async () => ({ status: 200, body: await signedIn(SPA, browsers[n]) }));
      if (res) chains[n] = { refreshToken: res.body, live: true };
      return res;
    }
    const res = await traffic.send('refresh (spa, rotating)', [200], () => tokenRequest(plaza, {
      grant_type: 'refresh_token', refresh_token: chain.refreshToken, client_id: SPA.client_id,
    }));
    if (!res) chain.live = false;
    else {
      rotated.push(chain.refreshToken);
      chain.refreshToken = res.body.refresh_token;
      issued.spa.push(res.body.access_token);
    }
    return res;
  };

  let stopping = false;
  const agent = async (n: number) => {
    for (let i = 0; i < MAX_REQUESTS_PER_AGENT && !stopping; i += 1) {
      const answered = n < CHAINS ? await rotate(n) : await mixed[(i + n) % mixed.length]();
      // Without an answer the server is down: pause a little instead of spinning on refused connections.
      if (!answered) await new Promise((r) => setTimeout(r, 100));
    }
  };
  const agents = Array.from({ length: AGENTS }, (_, n) => agent(n));
  /** Waits for a phase's answers; false as soon as something went wrong. */
  const phase = async (what: string) => {
    const before = traffic.answered;
    await waitUntil(`${ANSWERS_PER_PHASE} answers ${what}`, async () => traffic.answered >= before + ANSWERS_PER_PHASE || traffic.failures.length > 0);
    return traffic.failures.length === 0;
  };
  const cutPerKill: number[] = [];
  try {
    for (let kill = 1; kill <= KILLS; kill += 1) {
      if (!await phase(`before kill ${kill}`)) break;
      const cutBefore = traffic.cut;
      traffic.down();
      await plaza.kill();
      await plaza.start();
      traffic.up();
      cutPerKill.push(traffic.cut - cutBefore);
    }
    await phase('after the last restart');
  } finally {
    stopping = true;
    await Promise.all(agents);
  }
  t.log(`traffic: ${traffic.summary()}; requests cut per kill: ${cutPerKill.join(', ')}`);
  // With Plaza's error lines, which say why when a request failed with a 5xx.
  t.deepEqual({ failures: traffic.failures, errors: plaza.errorLines() }, { failures: [], errors: [] }, 'every request answered as expected, or was cut by a kill');
  t.true(cutPerKill.every((n) => n > 0), 'every kill came in the middle of traffic');

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const introspect = async (token: string) => (await (await fetch(`${plaza.url}/token/introspection`, {
    method: 'POST', body: new URLSearchParams({ token, client_id: WEB.client_id, client_secret: WEB.client_secret }),
  })).json() as { active: boolean }).active;
  const problems = [
    // Admin tokens are checked where they are used: the admin API verifies each against the stored keys, client and revocations.
    ...await checkAll(issued.admin, 8, async (token) => {
      const res = await fetch(`${plaza.url}/admin/api/groups`, { headers: bearer(token) });
      return res.status === 200 ? undefined : `admin token refused: ${res.status}`;
    }),
    ...await checkAll(issued.web, 8, async (token) => (await introspect(token) ? undefined : 'web access token inactive')),
    ...await checkAll(issued.spa, 8, async (token) => {
      const res = await fetch(`${plaza.url}/me`, { headers: bearer(token) });
      return res.status === 200 ? undefined : `spa access token refused at userinfo: ${res.status}`;
    }),
    ...await checkAll(chains.filter((c) => c.live), CHAINS, async (chain) => {
      const res = await tokenRequest(plaza, { grant_type: 'refresh_token', refresh_token: chain.refreshToken, client_id: SPA.client_id });
      return res.status === 200 ? undefined : `the last refresh token of a chain: ${JSON.stringify(res.body)}`;
    }),
    ...await checkAll(messages, 8, async (m) => {
      const res = await api(plaza, 'GET', `/groups/hiking/messages/${m.id}`, appToken);
      return res.status === 200 && res.body.text === m.text ? undefined : `message ${m.id}: ${res.status}`;
    }),
  ];
  t.deepEqual(problems, [], 'every token and message is still there');

  const calledBack = () => new Set(receiver.received.map((r) => r.headers['webhook-id']));
  // Bounded; a job that never calls back is reported below with its state.
  await waitUntil('every accepted job was called back', async () => jobs.every((j) => calledBack().has(`msg_job_${j.id}`))).catch(() => undefined);
  t.deepEqual(await checkAll(jobs, 8, async (job) => {
    if (!calledBack().has(`msg_job_${job.id}`)) return `job ${job.id} was not called back: ${JSON.stringify((await jobStatus(plaza, appToken, job.id)).body)}`;
    let status: Record<string, any> = {};
    // Its callback arrived; the worker may not have recorded the delivery yet.
    await waitUntil(`job ${job.id} is done and delivered`, async () => {
      status = (await jobStatus(plaza, appToken, job.id)).body;
      return status.state === 'succeeded' && status.deliveries?.[0]?.state === 'delivered';
    }, 15_000).catch(() => undefined);
    if (status.state !== 'succeeded' || status.result?.text !== job.text) return `job ${job.id}: ${JSON.stringify(status)}`;
    if (status.deliveries?.length !== 1 || status.deliveries[0].state !== 'delivered') return `job ${job.id} delivery: ${JSON.stringify(status.deliveries)}`;
    const message = await api(plaza, 'GET', `/groups/hiking/messages/job-${job.id}`, appToken);
    return message.status === 200 && message.body.text === job.text ? undefined : `job ${job.id}'s message: ${message.status}`;
  }), [], 'every accepted job succeeded, and its callback was delivered');

  // A rotation answered 200 used the old refresh token up, and that stays true as well (last: reuse revokes the grant).
  t.deepEqual(await checkAll(rotated, 4, async (refreshToken) => {
    const res = await tokenRequest(plaza, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: SPA.client_id });
    return res.body.error === 'invalid_grant' ? undefined : `a rotated refresh token: ${res.status} ${JSON.stringify(res.body)}`;
  }), [], 'no rotated refresh token works again');

  t.deepEqual(plaza.errorLines(), [], 'no error in Plaza\'s log');
  t.deepEqual(plaza.crashes, [], 'Plaza died only when killed');
  t.log(`kills: ${KILLS}; verified: ${issued.admin.length} admin tokens, ${issued.web.length} web and ${issued.spa.length} spa access tokens, `
    + `${chains.filter((c) => c.live).length} live refresh chains, ${messages.length} messages, ${jobs.length} jobs`);
});
