// `npm run bench -- --peers`: Plaza beside Keycloak and Ory Hydra at their defaults, client_credentials and
// introspection on each, with the same load generator (load.ts). Each server is warmed up, then measured in rounds
// interleaved with the others; while one is measured the others are paused (SIGSTOP), so it is alone with the load.
// CPU per request is the server's own process tree's CPU time over the window. A peer that cannot be set up is
// reported with its reason. The table goes to bench/results.json and, on a full run, bench/README.md.
import { execFile } from 'node:child_process';
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HYDRA_VERSION, startHydra } from './peer_hydra.ts';
import { KEYCLOAK_VERSION, startKeycloak } from './peer_keycloak.ts';
import { PLAZA_VERSION, startPlaza } from './peer_plaza.ts';
import type { Peer } from './peer_setup.ts';
import { cpuMs, peakRssMb, signalTree } from './process_usage.ts';

export interface PeersOptions { root: string; seconds: number; warmupSeconds: number; connections: number; quick: boolean }

const SCENARIOS = ['client_credentials', 'introspection'] as const;
type Scenario = typeof SCENARIOS[number];
/** Plaza's requests per CPU-second against each peer's, at the peers' defaults (issue 16). */
const TARGETS: Record<string, number> = { keycloak: 10, hydra: 25 };
const SETUPS: { name: string; version: string; start(cacheDir: string, workDir: string): Promise<Peer> }[] = [
  { name: 'plaza', version: PLAZA_VERSION, start: (_cache, work) => startPlaza(work) },
  { name: 'keycloak', version: KEYCLOAK_VERSION, start: startKeycloak },
  { name: 'hydra', version: HYDRA_VERSION, start: startHydra },
];

interface Window { rps: number; p50_ms: number; p99_ms: number; errors: number; requests: number; cpu_ms_per_request: number }
interface PeerRow extends Omit<Window, 'requests'> {
  peer: string; version: string; scenario: Scenario; rss_mb: number; token_format: string; secret_hashing: string; journal_mode: string; rounds: Window[];
}
interface Unavailable { peer: string; version: string; reason: string }

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function load(url: string, body: string, seconds: number, connections: number): Promise<Omit<Window, 'cpu_ms_per_request'>> {
  const spec = { url, method: 'POST', headers: FORM, body, seconds, warmupSeconds: 0, connections };
  const { stdout } = await promisify(execFile)(process.execPath, ['--disable-warning=ExperimentalWarning', join(import.meta.dirname, 'load.ts'), JSON.stringify(spec)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout);
}

async function post(url: string, params: Record<string, string>): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers: FORM, body: form(params) });
  const body = await res.json() as Record<string, unknown>;
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

const accessToken = async (peer: Peer) => String((await post(peer.tokenUrl, peer.tokenParams)).access_token);

/** What an access token is, from its shape: a JWS names its alg; anything else is a reference (opaque) token. */
function tokenFormat(token: string): string {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as { alg?: string };
    if (header.alg) return `JWT (${header.alg})`;
  } catch { /* not a JOSE header */ }
  return 'opaque';
}

/** A SQLite database's journal mode from its header: bytes 18 and 19 are 2 in WAL mode, 1 with a rollback journal. */
function journalMode(mode: Peer['journalMode']): string {
  if (typeof mode === 'string') return mode;
  if (!existsSync(mode.sqliteFile)) return 'unknown (no database file)';
  const header = Buffer.alloc(20);
  const fd = openSync(mode.sqliteFile, 'r');
  readSync(fd, header, 0, 20, 0);
  closeSync(fd);
  return header[18] === 2 ? 'WAL (SQLite)' : 'rollback journal (SQLite)';
}

/** The body of one scenario's requests; introspection asks about a fresh token, checked active before the window. */
async function requestFor(peer: Peer, scenario: Scenario): Promise<{ url: string; body: string; token?: string }> {
  if (scenario === 'client_credentials') return { url: peer.tokenUrl, body: form(peer.tokenParams) };
  const token = peer.introspectionToken ?? await accessToken(peer);
  const { url, params } = peer.introspection(token);
  return { url, body: form(params), token };
}

async function assertActive(peer: Peer, token: string): Promise<void> {
  const { url, params } = peer.introspection(token);
  const answer = await post(url, params);
  if (answer.active !== true) throw new Error(`${peer.name} introspected its own token as inactive: ${JSON.stringify(answer)}`);
}

/** One measured window: CPU time of the server's tree before and after, divided by the requests answered. */
async function measure(peer: Peer, scenario: Scenario, options: PeersOptions): Promise<Window> {
  const { url, body, token } = await requestFor(peer, scenario);
  if (token) await assertActive(peer, token);
  if (options.warmupSeconds > 0) await load(url, body, options.warmupSeconds, options.connections);
  const before = cpuMs(peer.process.pid);
  const figures = await load(url, body, options.seconds, options.connections);
  const cpu = cpuMs(peer.process.pid) - before;
  // Still active after the window: the figures are those of a live token, not a cheap rejection.
  if (token) await assertActive(peer, token);
  return { ...figures, cpu_ms_per_request: figures.requests ? cpu / figures.requests : Number.NaN };
}

/** A JIT settles after a number of requests, not of seconds: load for the peer's share of its warm-up time, then on
 * until two successive windows cost the same CPU per request (within 10 %), three times that time at most. */
async function warmUp(peer: Peer, scenario: Scenario, options: PeersOptions): Promise<void> {
  const least = options.quick ? 1 : peer.warmupSeconds / SCENARIOS.length;
  const window = Math.min(least, 10);
  const costs: number[] = [];
  for (let spent = 0; spent < 3 * least; spent += window) {
    const { url, body } = await requestFor(peer, scenario);
    const before = cpuMs(peer.process.pid);
    const { requests } = await load(url, body, window, options.connections);
    costs.push((cpuMs(peer.process.pid) - before) / Math.max(requests, 1));
    const [previous, last] = costs.slice(-2);
    if (spent + window >= least && costs.length > 1 && Math.abs(last - previous) <= 0.1 * previous) break;
  }
  console.log(`peers: warmed up ${peer.name} ${scenario}: CPU ms/req by ${window} s window ${costs.map((c) => c.toFixed(2)).join(', ')}`);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function tables(rows: PeerRow[], unavailable: Unavailable[]): string {
  const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
  const lines = [
    '| peer | scenario | req/s | p50 ms | p99 ms | errors | CPU ms/req | by round | RSS MB | token format | secret hashing | journal mode |',
    '|---|---|---:|---:|---:|---:|---:|---|---:|---|---|---|',
    ...rows.map((r) => `| ${r.peer} ${r.version} | ${r.scenario} | ${fmt(r.rps)} | ${fmt(r.p50_ms, 1)} | ${fmt(r.p99_ms, 1)} | ${r.errors} | ${fmt(r.cpu_ms_per_request, 2)} | ${r.rounds.map((w) => fmt(w.cpu_ms_per_request, 2)).join(' / ')} | ${fmt(r.rss_mb)} | ${r.token_format} | ${r.secret_hashing} | ${r.journal_mode} |`),
    ...unavailable.map((u) => `| ${u.peer} ${u.version} | not set up: ${u.reason.replaceAll('|', '\\|')} | | | | | | | | | | |`),
  ];
  lines.push('', 'Plaza\'s requests per CPU-second against each peer\'s (the peer\'s CPU ms per request over Plaza\'s, same scenario):', '',
    '| against | scenario | ratio | target |', '|---|---|---:|---|',
    ...ratios(rows).map((c) => `| ${c.peer} | ${c.scenario} | ${fmt(c.ratio, 1)}× | ≥ ${c.target}× — ${c.ratio >= c.target ? 'held' : '**missed**'} |`),
    ...unavailable.filter((u) => u.peer in TARGETS).map((u) => `| ${u.peer} | all | - | ≥ ${TARGETS[u.peer]}× — not measured: not set up |`));
  return lines.join('\n');
}

function ratios(rows: PeerRow[]): { peer: string; scenario: Scenario; ratio: number; target: number }[] {
  return rows.filter((r) => r.peer in TARGETS).flatMap((r) => {
    const plaza = rows.find((p) => p.peer === 'plaza' && p.scenario === r.scenario);
    return plaza ? [{ peer: r.peer, scenario: r.scenario, ratio: r.cpu_ms_per_request / plaza.cpu_ms_per_request, target: TARGETS[r.peer] }] : [];
  });
}

async function writeReadme(root: string, section: string): Promise<void> {
  const file = join(root, 'bench', 'README.md');
  const text = await readFile(file, 'utf8');
  const start = text.indexOf('\n## Peers\n');
  const end = start < 0 ? -1 : text.indexOf('\n## ', start + 1);
  const before = start < 0 ? text.trimEnd() : text.slice(0, start).trimEnd();
  const after = end < 0 ? '' : text.slice(end);
  await writeFile(file, `${before}\n\n${section}\n${after}`);
}

export async function runPeers(options: PeersOptions): Promise<void> {
  const rounds = options.quick ? 1 : 3;
  const cacheDir = join(options.root, '.cache', 'peers');
  const workDir = await mkdtemp(join(tmpdir(), 'plaza-peers-'));
  const startedAt = new Date();
  const loadAtStart = loadavg()[0];
  const peers: Peer[] = [];
  const unavailable: Unavailable[] = [];
  // Whatever happens, no server is left running (paused ones included).
  const killAll = () => { for (const p of peers) signalTree(p.process.pid, 'SIGKILL'); };
  process.once('exit', killAll);
  try {
    for (const setup of SETUPS) {
      console.log(`peers: setting up ${setup.name}...`);
      try {
        const peer = await setup.start(cacheDir, workDir);
        peers.push(peer);
        signalTree(peer.process.pid, 'SIGSTOP');
      } catch (err) {
        console.log(`peers: ${setup.name} not set up: ${(err as Error).message}`);
        unavailable.push({ peer: setup.name, version: setup.version, reason: (err as Error).message });
      }
    }
    const formats = new Map<string, string>();
    for (const peer of peers) {
      signalTree(peer.process.pid, 'SIGCONT');
      formats.set(`${peer.name} client_credentials`, tokenFormat(await accessToken(peer)));
      formats.set(`${peer.name} introspection`, tokenFormat(peer.introspectionToken ?? await accessToken(peer)));
      for (const scenario of SCENARIOS) await warmUp(peer, scenario, options);
      signalTree(peer.process.pid, 'SIGSTOP');
    }
    const windows = new Map<string, Window[]>();
    for (let round = 0; round < rounds; round += 1) {
      // Each round starts with the next server, so that none is always measured first.
      for (let i = 0; i < peers.length; i += 1) {
        const peer = peers[(round + i) % peers.length];
        signalTree(peer.process.pid, 'SIGCONT');
        for (const scenario of SCENARIOS) {
          const window = await measure(peer, scenario, options);
          console.log(`peers: round ${round + 1}/${rounds} ${peer.name} ${scenario}: ${window.rps.toFixed(0)} req/s, ${window.cpu_ms_per_request.toFixed(2)} CPU ms/req`);
          windows.set(`${peer.name} ${scenario}`, [...(windows.get(`${peer.name} ${scenario}`) ?? []), window]);
        }
        signalTree(peer.process.pid, 'SIGSTOP');
      }
    }
    const rows: PeerRow[] = peers.flatMap((peer) => SCENARIOS.map((scenario) => {
      const list = windows.get(`${peer.name} ${scenario}`)!;
      const of = (key: keyof Window) => median(list.map((w) => w[key]));
      return {
        peer: peer.name, version: peer.version, scenario, rps: of('rps'), p50_ms: of('p50_ms'), p99_ms: of('p99_ms'), errors: list.reduce((n, w) => n + w.errors, 0),
        cpu_ms_per_request: of('cpu_ms_per_request'), rss_mb: peakRssMb(peer.process.pid), token_format: formats.get(`${peer.name} ${scenario}`)!,
        secret_hashing: peer.secretHashing, journal_mode: journalMode(peer.journalMode), rounds: list,
      };
    }));
    const table = tables(rows, unavailable);
    console.log(`\n${table}`);

    const resultsFile = join(options.root, 'bench', 'results.json');
    const previous = existsSync(resultsFile) ? JSON.parse(await readFile(resultsFile, 'utf8')) as Record<string, unknown> : {};
    const configurations = Object.fromEntries(peers.map((p) => [p.name, { version: p.version, configuration: p.configuration, introspects: p.introspects }]));
    await writeFile(resultsFile, `${JSON.stringify({ ...previous, peers: { date: startedAt.toISOString(), rounds, seconds: options.seconds, connections: options.connections, load_average_at_start: loadAtStart, rows, unavailable, ratios: ratios(rows), configurations } }, null, 2)}\n`);
    if (!options.quick) {
      const describe = peers.map((p) => `- **${p.name}** ${p.version}: ${p.configuration}. Introspection sends ${p.introspects}.`);
      await writeReadme(options.root, [
        '## Peers', '',
        `\`npm run bench -- --peers\`, ${startedAt.toISOString().slice(0, 10)}: Plaza beside Keycloak and Ory Hydra on the same 2-core machine, shared with`,
        `other work (load average ${loadAtStart.toFixed(2)} when the peers started, ${loadavg()[0].toFixed(2)} at the end). Each server was warmed up (Keycloak at least 60 s, the others 10 s,`,
        'each scenario on until two successive windows cost the same CPU per request within 10 %, three times as long at most), then',
        `measured in ${rounds} rounds, the order rotated each round; each window is ${options.seconds} s after ${options.warmupSeconds} s of warm-up, ${options.connections} connections,`,
        'load from a separate autocannon process. While one server is measured the others are paused (SIGSTOP). Figures are',
        'the medians of the rounds (errors their sum); CPU ms/req is the server\'s process tree\'s user + system time over the',
        'window (/proc) over the requests answered ("by round" lists each round\'s, in the order measured); RSS is the tree\'s peak resident set over the whole run. Introspected',
        'tokens are checked active before and after each window.', '',
        table, '', ...describe, '',
      ].join('\n'));
    }
    const plazaErrors = rows.filter((r) => r.peer === 'plaza').reduce((n, r) => n + r.errors, 0);
    console.log(`\npeers: ${peers.length} servers measured, ${unavailable.length} not set up, Plaza errors ${plazaErrors}`);
    if (plazaErrors > 0) process.exitCode = 1;
  } finally {
    await Promise.all(peers.map((p) => p.process.stop()));
    process.off('exit', killAll);
    await rm(workDir, { recursive: true, force: true });
  }
}
