// Starts a real Plaza on a free loopback port with its own temporary store.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../server/config/index.ts';
import { startPlaza, type RunningPlaza } from '../../server/plaza.ts';
import { openStore, type Store } from '../../server/store/index.ts';
import { withLatency } from './latency.ts';

/** A database of its own on the Mongo leg's test server. */
export function mongoTestUri(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.href;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function tempDir(prefix = 'plaza-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** What a test client needs of a Plaza, whether it runs in this process or another. */
export interface PlazaEndpoint {
  url: string;
}

export interface TestServer extends PlazaEndpoint {
  dataDir: string;
  /** The environment the server was configured from: another process on the same store uses it too. */
  env: Record<string, string>;
  plaza: RunningPlaza;
  /** Unhandled server errors seen so far: a test of bad input expects none. */
  serverErrors: unknown[];
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  env?: Record<string, string>;
  /** Another server whose store this one shares (as a second process would). */
  storeOf?: TestServer;
  /** Give every store call the latency of a networked engine, so that concurrent requests really interleave. */
  latency?: boolean;
  /** Wraps the store the server uses (e.g. a StoreGate, to hold one call while the test acts). */
  wrapStore?: (store: Store) => Store;
  /** Collects the server's log lines (set LOG_LEVEL in env to see them). */
  logLines?: string[];
}

/**
 * The environment of a test Plaza: a free loopback port and a temporary store (on the Mongo leg of the tests,
 * PLAZA_TEST_MONGODB_URI, a database of its own), or the store of `storeOf`.
 */
export async function testEnv(options: { env?: Record<string, string>; storeOf?: { env: Record<string, string> } } = {}): Promise<Record<string, string>> {
  const dataDir = options.storeOf?.env.DATA_DIR ?? await tempDir();
  const port = await freePort();
  const mongoBase = process.env.PLAZA_TEST_MONGODB_URI;
  const mongo = options.storeOf ? options.storeOf.env.MONGODB_URI : (mongoBase ? mongoTestUri(mongoBase, `plaza_${randomUUID().slice(0, 8)}`) : undefined);
  return {
    DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, LOG_LEVEL: 'silent',
    // Many tests sign the same user in at once from one address; the throttling tests set their own limits.
    LOGIN_MAX_FAILURES: '100',
    // One server process per test Plaza; the test of PLAZA_PROCESSES sets its own.
    PLAZA_PROCESSES: '1',
    ...(mongo ? { MONGODB_URI: mongo } : {}),
    ...options.env,
  };
}

export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const env = await testEnv(options);
  const dataDir = env.DATA_DIR;
  const mongo = env.MONGODB_URI;
  const serverErrors: unknown[] = [];
  const start = async () => {
    const config = loadConfig(env);
    let store = options.latency || options.wrapStore ? await openStore(config) : undefined;
    if (store && options.latency) store = withLatency(store);
    if (store && options.wrapStore) store = options.wrapStore(store);
    const logDestination = options.logLines ? { write: (line: string) => { options.logLines!.push(line); } } : undefined;
    return startPlaza(config, { store, logDestination, report: (err) => { serverErrors.push(err); } });
  };
  const server: TestServer = {
    url: env.ISSUER,
    dataDir,
    env,
    plaza: await start(),
    serverErrors,
    async restart() {
      await server.plaza.close();
      // Let this process's HTTP client see its pooled connections close before it sends again.
      await new Promise((r) => setTimeout(r, 50));
      server.plaza = await start();
    },
    async stop() {
      if (mongo && !options.storeOf) await (server.plaza.store as unknown as { dropDatabase(): Promise<void> }).dropDatabase();
      await server.plaza.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Waits for a condition, polling, bounded in time; fails with what it was waiting for. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
}
