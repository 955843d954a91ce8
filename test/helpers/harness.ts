// Starts a real Plaza on a free loopback port with its own temporary store.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../server/config/index.ts';
import { startPlaza, type RunningPlaza } from '../../server/plaza.ts';
import { openStore } from '../../server/store/index.ts';
import { withLatency } from './latency.ts';

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

export interface TestServer {
  url: string;
  dataDir: string;
  plaza: RunningPlaza;
  /** Unhandled server errors seen so far: a test of bad input expects none. */
  serverErrors: unknown[];
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  env?: Record<string, string>;
  dataDir?: string;
  /** Give every store call the latency of a networked engine, so that concurrent requests really interleave. */
  latency?: boolean;
}

export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? await tempDir();
  const port = await freePort();
  const env = {
    DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`,
    ...options.env,
  };
  const serverErrors: unknown[] = [];
  const start = async () => {
    const config = loadConfig(env);
    const store = options.latency ? withLatency(await openStore(config)) : undefined;
    return startPlaza(config, { store, report: (err) => { serverErrors.push(err); } });
  };
  const server: TestServer = {
    url: env.ISSUER,
    dataDir,
    plaza: await start(),
    serverErrors,
    async restart() {
      await server.plaza.close();
      // Let this process's HTTP client see its pooled connections close before it sends again.
      await new Promise((r) => setTimeout(r, 50));
      server.plaza = await start();
    },
    async stop() {
      await server.plaza.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
