// `npm run bench`: Plaza as its own process on a fresh store, two references measured in the same run (a plain
// oidc-provider with its in-memory adapter, and a bare Koa "hello"), and load from a separate process
// (autocannon). Every figure is printed with its ratio to its reference, since only ratios travel between
// machines. `--quick` is the CI smoke run; `--target <issuer> --client-id X --client-secret Y` measures
// client_credentials against any other OIDC server; `--peers` then measures Plaza beside Keycloak and Ory Hydra (peers.ts).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
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
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    engine: { type: 'string', default: 'sqlite' },
    target: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    connections: { type: 'string', default: '16' },
    profile: { type: 'boolean', default: false },
    peers: { type: 'boolean', default: false },
  },
});
const SECONDS = args.quick ? 2 : 10;
const WARMUP = args.quick ? 1 : 3;
const CONNECTIONS = Number(args.connections);
const ASYNC_RATE = 200;

interface Figures { rps: number; p50_ms: number; p99_ms: number; errors: number; requests?: number }
interface Result extends Figures { scenario: string; reference: string; ratio: number | null }

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
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

async function load(job: { url: string; method?: string; headers?: Record<string, string>; body?: string; variants?: unknown[] }, dir: string): Promise<Figures> {
  let variantsFile: string | undefined;
  if (job.variants) {
    variantsFile = join(dir, `variants-${randomUUID()}.json`);
    await writeFile(variantsFile, JSON.stringify(job.variants));
  }
  const spec = { url: job.url, method: job.method ?? 'GET', headers: job.headers, body: job.body, variantsFile, seconds: SECONDS, warmupSeconds: WARMUP, connections: CONNECTIONS };
  const { stdout } = await promisify(execFile)(NODE[0], [...NODE.slice(1), join(import.meta.dirname, 'load.ts'), JSON.stringify(spec)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout);
}

const FORM_POST = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } };
const form = (params: Record<string, string>) => ({ ...FORM_POST, body: new URLSearchParams(params).toString() });
/** Single-use form posts: each body is sent once. */
const formVariants = (list: Record<string, string>[]) => ({ ...FORM_POST, variants: list.map((params) => ({ body: new URLSearchParams(params).toString() })) });

function table(results: Result[]): string {
  const fmt = (n: number | null, digits = 0) => (n === null ? '' : n.toFixed(digits));
  return [
    '| scenario | req/s | p50 ms | p99 ms | errors | reference | ratio |',
    '|---|---:|---:|---:|---:|---|---:|',
    ...results.map((r) => `| ${r.scenario} | ${fmt(r.rps)} | ${fmt(r.p50_ms, 1)} | ${fmt(r.p99_ms, 1)} | ${r.errors} | ${r.reference} | ${fmt(r.ratio, 2)} |`),
  ].join('\n');
}

async function report(results: Result[], extra: Record<string, unknown>): Promise<void> {
  console.log(table(results));
  for (const [k, v] of Object.entries(extra)) console.log(`${k}: ${v}`);
  await mkdir(join(ROOT, 'bench'), { recursive: true });
  await writeFile(join(ROOT, 'bench', 'results.json'), `${JSON.stringify({ results, ...extra, quick: args.quick, seconds: SECONDS }, null, 2)}\n`);
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

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'plaza-bench-'));
  try {
    if (args.target) return await targetOnly(dir);
    const [plazaPort, oidcPort, koaPort, hooksPort, hostPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const issuer = `http://127.0.0.1:${plazaPort}`;
    const env: Record<string, string> = {
      DATA_DIR: dir, PORT: String(plazaPort), HOST: '127.0.0.1', ISSUER: issuer, ALLOW_INSECURE_CALLBACKS: '1', LOG_LEVEL: 'warn', WORKER_POLL_MS: '5',
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
    const plaza = child([...NODE, ...profile, join(ROOT, 'server', 'main.ts')], env);
    child([...NODE, join(import.meta.dirname, 'reference_oidc.ts'), String(oidcPort), 'bench-cc', secret]);
    child([...NODE, join(import.meta.dirname, 'reference_koa.ts'), String(koaPort)]);
    await Promise.all([waitForPort(plazaPort), waitForPort(oidcPort), waitForPort(koaPort)]);

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
    const sub = (JSON.parse(Buffer.from(user.access_token.split('.')[1], 'base64url').toString()) as { sub: string }).sub;

    // Membership and single-use tickets go straight into the store: the benchmark measures redemption, not setup.
    const store = await createPlaza(loadConfig(env));
    await store.admin.upsertGroup({ id: 'bench', name: 'Bench' });
    await new Groups(store.store).addMember('bench', sub);
    const tickets = new ActionTickets(store.store, { ...store.config, actionTicketTtl: 3600 });
    const ticketCount = args.quick ? 6000 : 40_000;
    const ticketVariants = [];
    for (let i = 0; i < ticketCount; i += 1) {
      const { ticket } = await tickets.mint({ operation: 'app.added', sub, clientId: 'bench-mini', groupId: 'bench', actions: ['messages:post'] });
      ticketVariants.push({ grant_type: exchange, client_id: 'bench-mini', client_secret: secret, subject_token: ticket, subject_token_type: ACTION_TICKET_TYPE });
    }
    await store.close();

    const messagesUrl = `${issuer}/api/groups/bench/messages`;
    const ath = sha256url(bound.access_token);
    const proofs = async (htm: string, n: number, body?: string) => Promise.all(Array.from({ length: n }, async () => ({
      headers: { authorization: `DPoP ${bound.access_token}`, dpop: await proof(htm, messagesUrl, { ath }) }, ...(body ? { body } : {}),
    })));
    const proofCount = args.quick ? 8000 : 60_000;
    const messageBody = JSON.stringify({ text: 'benchmark message' });
    const { keys } = await (await fetch(`${issuer}/jwks`)).json() as { keys: JWK[] };
    const encKey = keys.find((k) => k.use === 'enc' && k.alg === 'RSA-OAEP-256')!;
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ api: 'messages.post', user: sub, format: 'json', data: { group_id: 'bench', text: 'async benchmark' } })))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: encKey.kid }).encrypt(await importJWK(encKey, 'RSA-OAEP-256'));

    const bearer = { authorization: `Bearer ${user.access_token}` };
    const results: Result[] = [];
    const measure = async (scenario: string, reference: string, job: Parameters<typeof load>[0]) => {
      const figures = await load(job, dir);
      results.push({ scenario, ...figures, reference, ratio: null });
      return figures;
    };
    const koa = await measure('reference_koa_hello', '-', { url: `http://127.0.0.1:${koaPort}/` });
    const oidc = await measure('reference_oidc_provider_client_credentials', '-', { url: `http://127.0.0.1:${oidcPort}/token`, ...form({ grant_type: 'client_credentials', client_id: 'bench-cc', client_secret: secret, scope: 'messages:read' }) });
    const ratioTo = (name: string, ref: Figures, refName: string) => {
      const r = results.find((x) => x.scenario === name)!;
      r.reference = refName;
      r.ratio = ref.rps ? r.rps / ref.rps : null;
    };
    await measure('client_credentials', '', { url: `${issuer}/token`, ...form({ grant_type: 'client_credentials', client_id: 'bench-cc', client_secret: secret, scope: 'messages:read' }) });
    await measure('refresh', '', { url: `${issuer}/token`, ...form({ grant_type: 'refresh_token', client_id: 'bench-mini', client_secret: secret, refresh_token: user.refresh_token }) });
    await measure('introspection', '', { url: `${issuer}/token/introspection`, ...form({ token: user.refresh_token, client_id: 'bench-mini', client_secret: secret }) });
    // Made just before the scenario, so that none outlives its ten minutes.
    const hostTokens = await Promise.all(Array.from({ length: args.quick ? 6000 : 40_000 }, miniParams));
    await measure('host_jwt_exchange', '', { url: `${issuer}/token`, ...formVariants(hostTokens) });
    // Reads first: every write adds a message that later reads would have to pass over.
    const get = await measure('get_messages_jwt', '', { url: messagesUrl, headers: bearer });
    await measure('get_messages_dpop', '', { url: messagesUrl, variants: await proofs('GET', proofCount) });
    const post = await measure('post_messages_jwt', '', { url: messagesUrl, method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: messageBody });
    await measure('post_messages_dpop', '', { url: messagesUrl, method: 'POST', headers: { 'content-type': 'application/json' }, variants: await proofs('POST', proofCount, messageBody) });
    await measure('ticket_redemption', '', { url: `${issuer}/token`, ...formVariants(ticketVariants) });
    // Submit-to-callback at a steady rate, from this process, before any flood of jobs: time from the 202 to the
    // callback's arrival.
    arrivals.clear();
    const submitted = new Map<string, number>();
    const total = ASYNC_RATE * (args.quick ? 2 : 10);
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
    const deadline = Date.now() + 30_000;
    while ([...submitted.keys()].some((id) => !arrivals.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const latencies = [...submitted].map(([id, at]) => (arrivals.get(id) ?? Number.NaN) - at).filter(Number.isFinite).sort((a, b) => a - b);
    const missing = submitted.size - latencies.length;
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
    results.push({ scenario: 'async_submit_to_callback', rps: ASYNC_RATE, p50_ms: pct(50), p99_ms: pct(99), errors: asyncErrors + missing, reference: `steady ${ASYNC_RATE}/s`, ratio: null });
    await measure('async_submit', '', { url: `${issuer}/api/async`, method: 'POST', headers: { ...bearer, 'content-type': 'application/jose' }, body: jwe });
    for (const name of ['client_credentials', 'refresh', 'introspection']) ratioTo(name, oidc, 'reference_oidc_provider_client_credentials');
    for (const name of ['host_jwt_exchange', 'ticket_redemption', 'get_messages_jwt', 'post_messages_jwt', 'async_submit']) ratioTo(name, koa, 'reference_koa_hello');
    ratioTo('get_messages_dpop', get, 'get_messages_jwt');
    ratioTo('post_messages_dpop', post, 'post_messages_jwt');

    const status = await readFile(`/proc/${plaza.pid}/status`, 'utf8').catch(() => '');
    const peakRss = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    for (const s of servers) s.close();
    await report(results, { peak_rss_mb: peakRss.toFixed(0), engine: args.engine, connections: CONNECTIONS });
  } finally {
    // SIGTERM lets Plaza stop cleanly (and write its profile); the references are simply killed.
    for (const c of children) c.kill(c === children[0] ? 'SIGTERM' : 'SIGKILL');
    await new Promise((r) => setTimeout(r, args.profile ? 3000 : 200));
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
if (args.peers) await runPeers({ root: ROOT, seconds: SECONDS, warmupSeconds: WARMUP, connections: CONNECTIONS, quick: args.quick });
process.exit();
