// `npm run bench`: Plaza as its own process on a fresh store (and the same store served from every core), three
// references measured in the same run (a plain oidc-provider with its in-memory adapter, a bare Koa that verifies
// Plaza's JWT, and a bare Koa "hello", the ceiling of the load generator), and load from a separate process
// (autocannon). Every scenario runs once per round, in interleaved rounds; each figure is the median over the
// rounds, with the CPU time the server spent per request, and its ratio to its reference, since only ratios
// travel between machines. `--quick` is the CI smoke run; `--target <issuer> --client-id X --client-secret Y` measures
// client_credentials against any other OIDC server; `--peers` then measures Plaza beside Keycloak and Ory Hydra (peers.ts).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CompactEncrypt, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { loadConfig } from '../../server/config/index.ts';
import { createPlaza } from '../../server/plaza.ts';
import { ACTION_TICKET_TYPE, ActionTickets } from '../../server/action_grants/index.ts';
import { Groups } from '../../server/social/index.ts';
import { sha256url } from '../../server/store/index.ts';
import { runPeers } from './peers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = [process.execPath, '--disable-warning=ExperimentalWarning'];
/** Plaza runs with the Node.js flags `npm start` gives it (package.json), so the benchmark measures what is deployed. */
const PLAZA_NODE = [process.execPath, ...(JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).scripts.start as string).split(' ').filter((w) => w.startsWith('--'))];
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    engine: { type: 'string', default: 'sqlite' },
    target: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    connections: { type: 'string', default: '16' },
    profile: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    peers: { type: 'boolean', default: false },
  },
});
const SECONDS = args.quick ? 2 : 5;
const WARMUP = args.quick ? 1 : 2;
const ROUNDS = args.quick ? 1 : Number(args.rounds);
const CONNECTIONS = Number(args.connections);
const ASYNC_RATE = 500;

interface Figures { rps: number; p50_ms: number; p99_ms: number; errors: number; requests?: number; cpu_ms_per_req?: number | null }
/** One scenario over every round: the medians of its rounds' figures, its errors summed. */
interface Result extends Figures { scenario: string; reference: string; ratio: number | null; target?: string; held?: boolean }

const median = (values: number[]) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!sorted.length) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on port ${port}`);
}

const children: ChildProcess[] = [];
function child(argv: string[], env: Record<string, string> = {}): ChildProcess {
  const c = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(c);
  return c;
}

async function load(job: { url: string; method?: string; headers?: Record<string, string>; body?: string; variants?: unknown[]; pids?: number[] }, dir: string, seconds = SECONDS): Promise<Figures> {
  let variantsFile: string | undefined;
  if (job.variants) {
    variantsFile = join(dir, `variants-${randomUUID()}.json`);
    await writeFile(variantsFile, JSON.stringify(job.variants));
  }
  const spec = { url: job.url, method: job.method ?? 'GET', headers: job.headers, body: job.body, variantsFile, seconds, warmupSeconds: WARMUP, connections: CONNECTIONS, pids: job.pids };
  const { stdout } = await promisify(execFile)(NODE[0], [...NODE.slice(1), join(import.meta.dirname, 'load.ts'), JSON.stringify(spec)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout);
}

const FORM_POST = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } };
const form = (params: Record<string, string>) => ({ ...FORM_POST, body: new URLSearchParams(params).toString() });
/** Single-use form posts: each body is sent once. */
const formVariants = (list: Record<string, string>[]) => ({ ...FORM_POST, variants: list.map((params) => ({ body: new URLSearchParams(params).toString() })) });

/** A process and the processes it forked (the server processes of PLAZA_PROCESSES). */
async function processTree(pid: number): Promise<number[]> {
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).split(' ').filter(Boolean).map(Number);
  return [pid, ...children];
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

function table(results: Result[]): string {
  const fmt = (n: number | null | undefined, digits = 0) => (n === null || n === undefined || !Number.isFinite(n) ? '' : n.toFixed(digits));
  const verdict = (r: Result) => (r.target ? `${r.target} — ${r.held ? 'held' : '**missed**'}` : '');
  return [
    '| scenario | req/s | CPU ms/req | p50 ms | p99 ms | errors | reference | ratio | target |',
    '|---|---:|---:|---:|---:|---:|---|---:|---|',
    ...results.map((r) => `| ${r.scenario} | ${fmt(r.rps)} | ${fmt(r.cpu_ms_per_req, 2)} | ${fmt(r.p50_ms, 1)} | ${fmt(r.p99_ms, 1)} | ${r.errors} | ${r.reference} | ${fmt(r.ratio, 2)} | ${verdict(r)} |`),
  ].join('\n');
}

async function report(results: Result[], extra: Record<string, unknown>): Promise<void> {
  console.log(table(results));
  for (const [k, v] of Object.entries(extra)) console.log(`${k}: ${v}`);
  await mkdir(join(ROOT, 'bench'), { recursive: true });
  await writeFile(join(ROOT, 'bench', 'results.json'), `${JSON.stringify({ results, ...extra, quick: args.quick, seconds: SECONDS, rounds: ROUNDS }, null, 2)}\n`);
  const errors = results.reduce((n, r) => n + r.errors, 0);
  const failing = results.filter((r) => r.errors > 0).length;
  console.log(`\nbench: ${results.length} scenarios, ${failing} failed (${errors} errors)`);
  if (errors > 0) process.exitCode = 1;
}

async function targetOnly(dir: string): Promise<void> {
  if (!args['client-id'] || !args['client-secret']) throw new Error('--target needs --client-id and --client-secret');
  const discovery = await (await fetch(new URL('/.well-known/openid-configuration', args.target))).json() as { token_endpoint: string };
  const figures = await load({ url: discovery.token_endpoint, ...form({ grant_type: 'client_credentials', client_id: args['client-id'], client_secret: args['client-secret'] }) }, dir);
  await report([{ scenario: 'client_credentials', ...figures, reference: args.target!, ratio: null }], {});
}

/** What each scenario is measured against, and the issue's target for that ratio. */
const TARGETS: { scenario: string; reference: string; min: number; exceed?: boolean }[] = [
  { scenario: 'client_credentials', reference: 'reference_oidc_provider_client_credentials', min: 0.85 },
  { scenario: 'refresh', reference: 'reference_oidc_provider_refresh', min: 0.85 },
  { scenario: 'introspection', reference: 'reference_oidc_provider_introspection', min: 0.9 },
  { scenario: 'client_credentials_all_processes', reference: 'reference_oidc_provider_client_credentials', min: 1, exceed: true },
  { scenario: 'get_messages_jwt', reference: 'reference_koa_jwt', min: 0.6 },
  { scenario: 'get_messages_dpop', reference: 'get_messages_jwt', min: 0.6 },
  { scenario: 'post_messages_jwt', reference: 'get_messages_jwt', min: 0.5 },
  { scenario: 'post_messages_dpop', reference: 'post_messages_jwt', min: 0.6 },
  { scenario: 'ticket_redemption', reference: 'client_credentials', min: 0.5 },
  { scenario: 'host_jwt_exchange', reference: 'client_credentials', min: 0.5 },
  { scenario: 'handoff', reference: 'client_credentials', min: 0.5 },
  { scenario: 'async_submit', reference: 'post_messages_jwt', min: 0.5 },
];

/** --only a,b: those scenarios and what their ratios need (a change's before and after, in less time). */
function selected(): (scenario: string) => boolean {
  if (!args.only) return () => true;
  const wanted = new Set(args.only.split(','));
  for (const name of [...wanted]) {
    for (let target = TARGETS.find((t) => t.scenario === name); target; target = TARGETS.find((t) => t.scenario === target!.reference)) wanted.add(target.reference);
  }
  return (scenario) => wanted.has(scenario);
}

async function main(): Promise<void> {
  const runs = selected();
  const dir = await mkdtemp(join(tmpdir(), 'plaza-bench-'));
  try {
    if (args.target) return await targetOnly(dir);
    const [plazaPort, allPort, oidcPort, koaPort, koaJwtPort, hooksPort, hostPort] = await Promise.all(Array.from({ length: 7 }, freePort));
    const issuer = `http://127.0.0.1:${plazaPort}`;
    const env: Record<string, string> = {
      DATA_DIR: dir, PORT: String(plazaPort), HOST: '127.0.0.1', ISSUER: issuer, ALLOW_INSECURE_CALLBACKS: '1', LOG_LEVEL: 'warn', PLAZA_PROCESSES: '1',
      // The load comes from one client far above any per-client allowance; the limit is still counted, never reached.
      TOKEN_RATE_LIMIT: '1000000000',
    };
    if (args.engine === 'mongo') {
      const uri = process.env.MONGODB_URI ?? process.env.PLAZA_TEST_MONGODB_URI;
      if (!uri) throw new Error('--engine mongo needs MONGODB_URI');
      env.MONGODB_URI = uri.replace(/\/[^/]*$/, `/plaza_bench_${randomUUID().slice(0, 8)}`);
    }

    // A host that signs mini-program identity tokens, and an app callback endpoint that records arrivals.
    const { privateKey: hostKey, publicKey: hostPublic } = await generateKeyPair('ES256');
    const hostJwk = { ...await exportJWK(hostPublic), kid: 'bench', alg: 'ES256', use: 'sig' };
    const arrivals = new Map<string, number>();
    const servers: Server[] = [
      createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [hostJwk] }))).listen(hostPort, '127.0.0.1'),
      createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          try { arrivals.set(JSON.parse(Buffer.concat(chunks).toString()).data.job_id, performance.now()); } catch { /* not a job callback */ }
          res.writeHead(204).end();
        });
      }).listen(hooksPort, '127.0.0.1'),
    ];

    // Seed the fresh store, then start Plaza on it as its own process.
    const seedPlaza = await createPlaza(loadConfig(env));
    const secret = 'bench-secret-0123456789-0123456789';
    const exchange = 'urn:ietf:params:oauth:grant-type:token-exchange';
    await seedPlaza.admin.seed({
      hosts: [{ id: 'benchhost', kind: 'jwt', issuer: 'https://bench-host.example', jwks_uri: `http://127.0.0.1:${hostPort}/jwks`, audience: 'plaza', algorithms: ['ES256'] }],
      clients: [
        { client_id: 'bench-cc', client_secret: secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post', scope: 'groups:read messages:read' },
        { client_id: 'bench-mini', client_secret: secret, grant_types: [exchange, 'refresh_token'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post', plaza_hosts: ['benchhost'], plaza_host_app_ids: { benchhost: 'bench-mini-app' }, callback_uri: `http://127.0.0.1:${hooksPort}/hooks` },
      ],
      groups: [{ id: 'bench', name: 'Bench' }],
    });
    await seedPlaza.close();
    // --profile: Plaza writes a V8 CPU profile of the whole run to bench/profiles/ when it stops.
    const profile = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench', 'profiles')}`] : [];
    const plaza = child([...PLAZA_NODE, ...profile, join(ROOT, 'server', 'main.ts')], env);
    // The same store served from every core (no worker: the single-process Plaza runs the jobs).
    const allProcesses = child([...PLAZA_NODE, join(ROOT, 'server', 'main.ts')], {
      ...env, PORT: String(allPort), ISSUER: `http://127.0.0.1:${allPort}`, PLAZA_PROCESSES: String(availableParallelism()), RUN_WORKER: '0',
    });
    const referenceRefreshToken = join(dir, 'reference-refresh-token');
    const oidcReference = child([...NODE, join(import.meta.dirname, 'reference_oidc.ts'), String(oidcPort), 'bench-cc', secret, 'bench-mini', referenceRefreshToken]);
    const koaReference = child([...NODE, join(import.meta.dirname, 'reference_koa.ts'), String(koaPort)]);
    await Promise.all([waitForPort(plazaPort), waitForPort(allPort), waitForPort(oidcPort), waitForPort(koaPort)]);

    const token = async (params: Record<string, string>, headers: Record<string, string> = {}) => {
      const res = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(params) });
      const body = await res.json() as Record<string, string>;
      if (!res.ok) throw new Error(`token request failed: ${JSON.stringify(body)}`);
      return body;
    };
    // Host identity tokens are single-use and name the mini-program they are for (azp).
    const hostToken = () => new SignJWT({ sub: 'bench-user', name: 'Bench User', azp: 'bench-mini-app' }).setProtectedHeader({ alg: 'ES256', kid: 'bench' })
      .setIssuer('https://bench-host.example').setAudience('plaza').setJti(randomUUID()).setIssuedAt().setExpirationTime('10m').sign(hostKey);
    const miniParams = async () => ({
      grant_type: exchange, client_id: 'bench-mini', client_secret: secret, subject_token: await hostToken(),
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt', scope: 'groups:read messages:read messages:post',
    });
    const user = await token(await miniParams());
    const dpopKey = await generateKeyPair('ES256');
    const dpopJwk = await exportJWK(dpopKey.publicKey);
    const proof = (htm: string, htu: string, extra: Record<string, unknown> = {}) => new SignJWT({ htm, htu, jti: randomUUID(), ...extra })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: dpopJwk }).setIssuedAt().sign(dpopKey.privateKey);
    const bound = await token(await miniParams(), { dpop: await proof('POST', `${issuer}/token`) });
    const claims = JSON.parse(Buffer.from(user.access_token.split('.')[1], 'base64url').toString()) as { sub: string; aud: string | string[]; grant_id: string };

    const jwks = await (await fetch(`${issuer}/jwks`)).json() as { keys: JWK[] };

    // Membership and single-use tickets go straight into the store: the benchmark measures redemption, not setup.
    const perRound = args.quick ? 4000 : 10_000;
    const store = await createPlaza(loadConfig(env));
    // The token names the user by the app's own pairwise sub; the store knows them by their account id.
    const accountId = (await store.oidc.liveGrant(claims.grant_id))!.accountId;
    await store.admin.upsertGroup({ id: 'bench', name: 'Bench' });
    await new Groups(store.store).addMember('bench', accountId);
    const tickets = new ActionTickets(store.store, { ...store.config, actionTicketTtl: 3600 });
    const ticketRounds: Record<string, string>[][] = [];
    for (let r = 0; r < (runs('ticket_redemption') ? ROUNDS + 1 : 0); r += 1) {
      const list = [];
      for (let i = 0; i < perRound; i += 1) {
        const { ticket } = await tickets.mint({ operation: 'app.added', sub: accountId, clientId: 'bench-mini', groupId: 'bench', actions: ['messages:post'] });
        list.push({ grant_type: exchange, client_id: 'bench-mini', client_secret: secret, subject_token: ticket, subject_token_type: ACTION_TICKET_TYPE });
      }
      ticketRounds.push(list);
    }
    await store.close();

    const messagesUrl = `${issuer}/api/groups/bench/messages`;
    const bearer = { authorization: `Bearer ${user.access_token}` };
    // A full page of messages from the start, so that the GET answers the same page in every round; the JWT reference
    // verifies Plaza's own tokens (Plaza's published keys, the token's audience) and answers that same page, fixed.
    for (let i = 0; i < 50; i += 1) {
      const res = await fetch(messagesUrl, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ text: `benchmark message ${i}` }) });
      if (res.status !== 201) throw new Error(`seeding messages failed: ${res.status}`);
    }
    const page = join(dir, 'messages-page.json');
    await writeFile(page, await (await fetch(messagesUrl, { headers: bearer })).text());
    const signingKeys = { keys: jwks.keys.filter((k) => k.use === 'sig') };
    const koaJwtReference = child([...NODE, join(import.meta.dirname, 'reference_koa_jwt.ts'), String(koaJwtPort), issuer, String([claims.aud].flat()[0]), JSON.stringify(signingKeys), page]);
    await waitForPort(koaJwtPort);
    const ath = sha256url(bound.access_token);
    const proofs = async (htm: string, n: number, body?: string) => Promise.all(Array.from({ length: n }, async () => ({
      headers: { authorization: `DPoP ${bound.access_token}`, dpop: await proof(htm, messagesUrl, { ath }) }, ...(body ? { body } : {}),
    })));
    const messageBody = JSON.stringify({ text: 'benchmark message' });
    const encKey = jwks.keys.find((k) => k.use === 'enc' && k.alg === 'RSA-OAEP-256')!;
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ api: 'messages.post', user: claims.sub, format: 'json', data: { group_id: 'bench', text: 'async benchmark' } })))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: encKey.kid }).encrypt(await importJWK(encKey, 'RSA-OAEP-256'));
    // The same refresh and introspection requests, of Plaza's user token and of the reference's.
    const referenceUser = await readFile(referenceRefreshToken, 'utf8');
    const refreshOf = (refreshToken: string) => form({ grant_type: 'refresh_token', client_id: 'bench-mini', client_secret: secret, refresh_token: refreshToken });
    const introspectionOf = (token: string) => form({ token, client_id: 'bench-mini', client_secret: secret });
    const clientCredentials = form({ grant_type: 'client_credentials', client_id: 'bench-cc', client_secret: secret, scope: 'messages:read' });

    /** Waits until Plaza's worker has drained the jobs a flood of submits left, so that they load no later scenario. */
    const drained = async () => {
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        const metrics = await (await fetch(`${issuer}/metrics`)).text();
        if (Number(/^plaza_jobs_queued (\d+)/m.exec(metrics)?.[1] ?? 0) === 0) return;
        await new Promise((r) => setTimeout(r, 500));
      }
    };

    // Every scenario once per round, the rounds one after another: a slower minute of the shared machine falls on
    // every scenario of a round alike, and each ratio is taken within a round before the median over the rounds.
    // Round -1 is a shorter warm round, not counted: the first scenario a server answers pays for compiling its code
    // (V8 compiles on threads of the process, whose CPU time counts), which once doubled that scenario's CPU per request.
    const rounds: Map<string, Figures>[] = [];
    const plazaPids = [plaza.pid!];
    for (let r = -1; r < ROUNDS; r += 1) {
      const figures = new Map<string, Figures>();
      const measure = async (scenario: string, pids: number[], job: Parameters<typeof load>[0] | (() => Promise<Parameters<typeof load>[0]>)) => {
        if (runs(scenario)) figures.set(scenario, await load({ ...(typeof job === 'function' ? await job() : job), pids }, dir, r < 0 ? WARMUP : SECONDS));
      };
      await measure('reference_koa_hello', [koaReference.pid!], { url: `http://127.0.0.1:${koaPort}/` });
      await measure('reference_koa_jwt', [koaJwtReference.pid!], { url: `http://127.0.0.1:${koaJwtPort}/`, headers: bearer });
      await measure('reference_oidc_provider_client_credentials', [oidcReference.pid!], { url: `http://127.0.0.1:${oidcPort}/token`, ...clientCredentials });
      await measure('reference_oidc_provider_refresh', [oidcReference.pid!], { url: `http://127.0.0.1:${oidcPort}/token`, ...refreshOf(referenceUser) });
      await measure('reference_oidc_provider_introspection', [oidcReference.pid!], { url: `http://127.0.0.1:${oidcPort}/token/introspection`, ...introspectionOf(referenceUser) });
      await measure('client_credentials', plazaPids, { url: `${issuer}/token`, ...clientCredentials });
      await measure('client_credentials_all_processes', await processTree(allProcesses.pid!), { url: `http://127.0.0.1:${allPort}/token`, ...clientCredentials });
      await measure('refresh', plazaPids, { url: `${issuer}/token`, ...refreshOf(user.refresh_token) });
      await measure('introspection', plazaPids, { url: `${issuer}/token/introspection`, ...introspectionOf(user.refresh_token) });
      // Made just before the scenario, so that none outlives its ten minutes.
      await measure('host_jwt_exchange', plazaPids, async () => ({ url: `${issuer}/token`, ...formVariants(await Promise.all(Array.from({ length: perRound }, miniParams))) }));
      await measure('ticket_redemption', plazaPids, () => Promise.resolve({ url: `${issuer}/token`, ...formVariants(ticketRounds[r + 1]) }));
      await measure('handoff', plazaPids, {
        url: `${issuer}/token`,
        ...form({ grant_type: exchange, client_id: 'bench-mini', client_secret: secret, subject_token: user.access_token, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', requested_token_type: 'urn:plaza:token-type:handoff-code', audience: 'plaza-h5', scope: 'messages:read' }),
      });
      await measure('get_messages_jwt', plazaPids, { url: messagesUrl, headers: bearer });
      await measure('get_messages_dpop', plazaPids, async () => ({ url: messagesUrl, variants: await proofs('GET', perRound) }));
      await measure('post_messages_jwt', plazaPids, { url: messagesUrl, method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: messageBody });
      await measure('post_messages_dpop', plazaPids, async () => ({ url: messagesUrl, method: 'POST', headers: { 'content-type': 'application/json' }, variants: await proofs('POST', perRound, messageBody) }));
      await measure('async_submit', plazaPids, { url: `${issuer}/api/async`, method: 'POST', headers: { ...bearer, 'content-type': 'application/jose' }, body: jwe });
      await drained();
      if (r >= 0) rounds.push(figures);
    }

    // Submit-to-callback at a steady rate, from this process, once the rounds are done: time from the 202 to the
    // callback's arrival.
    const steady = runs('async_submit_to_callback');
    arrivals.clear();
    const submitted = new Map<string, number>();
    const total = steady ? ASYNC_RATE * SECONDS : 0;
    let asyncErrors = 0;
    const started = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i += 1) {
      const due = started + (i * 1000) / ASYNC_RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(fetch(`${issuer}/api/async`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/jose' }, body: jwe }).then(async (res) => {
        if (res.status !== 202) { asyncErrors += 1; return; }
        submitted.set((await res.json() as { job_id: string }).job_id, performance.now());
      }, () => { asyncErrors += 1; }));
    }
    await Promise.all(pending);
    const sent = (performance.now() - started) / 1000;
    // A slow machine drains a backlog slowly but steadily: wait while callbacks keep arriving, up to 30 s without one
    // (and ten minutes in all); a callback still missing then counts as an error.
    const deadline = Date.now() + 600_000;
    let arrived = arrivals.size;
    let progressAt = Date.now();
    while ([...submitted.keys()].some((id) => !arrivals.has(id)) && Date.now() < deadline && Date.now() - progressAt < 30_000) {
      await new Promise((r) => setTimeout(r, 50));
      if (arrivals.size > arrived) [arrived, progressAt] = [arrivals.size, Date.now()];
    }
    const latencies = [...submitted].map(([id, at]) => (arrivals.get(id) ?? Number.NaN) - at).filter(Number.isFinite).sort((a, b) => a - b);
    const missing = submitted.size - latencies.length;
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;

    const results: Result[] = [...rounds[0].keys()].map((scenario) => {
      const all = rounds.map((round) => round.get(scenario)!);
      const target = TARGETS.find((t) => t.scenario === scenario && rounds[0].has(t.reference));
      const ratios = target ? rounds.map((round) => round.get(scenario)!.rps / round.get(target.reference)!.rps) : [];
      const ratio = target ? median(ratios) : null;
      return {
        scenario,
        rps: median(all.map((f) => f.rps)),
        cpu_ms_per_req: median(all.map((f) => f.cpu_ms_per_req ?? Number.NaN)),
        p50_ms: median(all.map((f) => f.p50_ms)),
        p99_ms: median(all.map((f) => f.p99_ms)),
        errors: all.reduce((n, f) => n + f.errors, 0),
        reference: target?.reference ?? '-',
        ratio,
        ...(target ? { target: `${target.exceed ? '>' : '≥'} ${target.min}`, held: target.exceed ? ratio! > target.min : ratio! >= target.min } : {}),
      };
    });
    // The rate actually sent: on a loaded machine this process may fall behind the schedule.
    if (steady) results.push({
      scenario: 'async_submit_to_callback', rps: submitted.size / sent, p50_ms: pct(50), p99_ms: pct(99), errors: asyncErrors + missing,
      reference: `steady ${ASYNC_RATE}/s`, ratio: null, target: 'p99 < 1000 ms', held: pct(99) < 1000 && missing === 0,
    });

    const plazaRss = await peakRssMb(plaza.pid!);
    const oidcRss = await peakRssMb(oidcReference.pid!);
    for (const s of servers) s.close();
    await report(results, {
      rounds: ROUNDS,
      peak_rss_mb: plazaRss.toFixed(0),
      reference_oidc_provider_peak_rss_mb: oidcRss.toFixed(0),
      peak_rss_ratio: `${(plazaRss / oidcRss).toFixed(2)} (target ≤ 1.0 — ${plazaRss <= oidcRss ? 'held' : 'missed'})`,
      processes: availableParallelism(),
      load_average: loadavg().map((n) => n.toFixed(2)).join(' '),
      engine: args.engine,
      connections: CONNECTIONS,
    });
  } finally {
    // SIGTERM lets Plaza stop cleanly (and write its profile); the references are simply killed.
    for (const c of children) c.kill(c === children[0] || c === children[1] ? 'SIGTERM' : 'SIGKILL');
    await new Promise((r) => setTimeout(r, args.profile ? 3000 : 500));
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
if (args.peers) await runPeers({ root: ROOT, seconds: SECONDS, warmupSeconds: WARMUP, connections: CONNECTIONS, quick: args.quick });
process.exit();
