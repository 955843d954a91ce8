// Plaza as real OS processes (`npm start`, `npm run worker`), for tests that kill them with SIGKILL or run several
// on one store. The store itself is seeded and removed from the test's process while no child writes to it.
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../server/config/index.ts';
import { createPlaza, type Plaza } from '../../server/plaza.ts';
import { openStore } from '../../server/store/index.ts';
import { waitUntil, type PlazaEndpoint } from './harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const ENTRIES = {
  server: join(ROOT, 'server', 'main.ts'),
  worker: join(ROOT, 'scripts', 'worker.ts'),
  serverWithLatency: join(import.meta.dirname, 'latency_main.ts'),
};
const STOP_TIMEOUT_MS = 10_000;

const STDERR = '[stderr] ';

/** Starts an entry point with `env` over the test's environment; with `output`, its stdout and stderr lines (marked) land there. */
export function spawnPlaza(entry: keyof typeof ENTRIES, env: Record<string, string>, output?: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', ENTRIES[entry]], {
    env: { ...process.env, ...env },
    // The IPC channel closes when this test process ends, however it ends: the child then stops (server/process.ts).
    stdio: output ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  if (output) {
    createInterface({ input: child.stdout! }).on('line', (line) => output.push(line));
    createInterface({ input: child.stderr! }).on('line', (line) => output.push(STDERR + line));
  }
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => { child.once('exit', () => resolve()); });
}

/** SIGKILL: the process gets no chance to finish anything. */
export async function killChild(child: ChildProcess): Promise<void> {
  const done = exited(child);
  child.kill('SIGKILL');
  await done;
}

/** SIGTERM, the clean stop; SIGKILL if it takes longer than a clean stop can. */
export async function stopChild(child: ChildProcess): Promise<void> {
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await done;
  clearTimeout(timer);
}

/** `npm start` in a child process: started, killed and started again on the same environment (port, store, issuer). */
export class PlazaProcess implements PlazaEndpoint {
  readonly env: Record<string, string>;
  /** Where this process listens; its ISSUER may name another process on the same store. */
  readonly url: string;
  /** Every line the process wrote, across restarts. */
  readonly output: string[] = [];
  /** Exits that nobody asked for. */
  readonly crashes: string[] = [];
  readonly #entry: 'server' | 'serverWithLatency';
  #child?: ChildProcess;

  /** With `latency`, every store call yields first, as a networked database's would (latency_main.ts). */
  constructor(env: Record<string, string>, options: { latency?: boolean } = {}) {
    this.env = env;
    this.url = `http://127.0.0.1:${env.PORT}`;
    this.#entry = options.latency ? 'serverWithLatency' : 'server';
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts the process and waits until /readyz answers 200; fails at once with its output if it exits first. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) throw new Error(`Plaza on ${this.url} is already running`);
    const child = spawnPlaza(this.#entry, this.env, this.output);
    this.#child = child;
    child.once('exit', (code, signal) => {
      if (this.#child === child) this.crashes.push(`Plaza on ${this.url} exited by itself (${signal ?? code})`);
    });
    await waitUntil(`Plaza on ${this.url} is ready`, async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Plaza exited before it was ready:\n${this.output.slice(-20).join('\n')}`);
      try {
        return (await fetch(`${this.url}/readyz`)).status === 200;
      } catch {
        return false;
      }
    }, timeoutMs);
  }

  async kill(): Promise<void> {
    const child = this.#detach();
    if (child) await killChild(child);
  }

  async stop(): Promise<void> {
    const child = this.#detach();
    if (child) await stopChild(child);
  }

  /** Error lines of the JSON log (pino level 50 and up: error, fatal), and whatever went to stderr (crashes, warnings). */
  errorLines(): string[] {
    return this.output.filter((line) => {
      if (line.startsWith(STDERR)) return true;
      try {
        return (JSON.parse(line) as { level?: number }).level! >= 50;
      } catch {
        return false;
      }
    });
  }

  #detach(): ChildProcess | undefined {
    const child = this.#child;
    this.#child = undefined;
    return child;
  }
}

/** Builds Plaza on the store of `env` in this process (as the admin CLI does), runs `use`, and closes it. */
export async function withPlaza<T>(env: Record<string, string>, use: (plaza: Plaza) => Promise<T>): Promise<T> {
  const plaza = await createPlaza(loadConfig(env));
  try {
    return await use(plaza);
  } finally {
    await plaza.close();
  }
}

/** Removes the store of `env`: its folder, and on the Mongo leg its database. */
export async function removeStore(env: Record<string, string>): Promise<void> {
  if (env.MONGODB_URI) {
    const store = await openStore(loadConfig(env));
    await (store as unknown as { dropDatabase(): Promise<void> }).dropDatabase();
    await store.close();
  }
  await rm(env.DATA_DIR, { recursive: true, force: true });
}
