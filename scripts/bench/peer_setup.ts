// What setting up a benchmark peer takes: running a tool, downloading an artifact, finding a JDK, starting a server
// whose output goes to a log file, waiting for it to answer, and stopping its whole process tree.
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { signalTree } from './process_usage.ts';

/** A running server: its root process, whether it has ended, and how to stop its whole tree. */
export interface ServerProcess {
  pid: number;
  ended(): boolean;
  logTail(): string;
  stop(): Promise<void>;
}

/** A peer ready for load: where to ask for a client_credentials token, and how to introspect one. */
export interface Peer {
  name: string;
  version: string;
  process: ServerProcess;
  warmupSeconds: number;
  tokenUrl: string;
  tokenParams: Record<string, string>;
  introspection(token: string): { url: string; params: Record<string, string> };
  /** Which token the introspection scenario sends, in words. */
  introspects: string;
  /** The token to introspect, when it is not the client_credentials access token. */
  introspectionToken?: string;
  secretHashing: string;
  /** A SQLite database whose journal mode is read from its header, or the mode in words. */
  journalMode: { sqliteFile: string } | string;
  configuration: string;
}

export async function run(command: string, argv: string[], env: Record<string, string> = {}, cwd?: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(command, argv, { env: { ...process.env, ...env }, cwd, maxBuffer: 64 << 20 });
    return stdout;
  } catch (err) {
    const { stderr, message, code } = err as { stderr?: string; message: string; code?: unknown };
    if (code === 'ENOENT') throw new Error(`${command} is not installed (not on PATH)`);
    throw new Error(`${command} ${argv[0] ?? ''} failed: ${(stderr || message).trim().split('\n').slice(-5).join(' / ')}`);
  }
}

export async function download(url: string, file: string): Promise<void> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`GET ${url} answered ${res.status}`);
  await pipeline(Readable.fromWeb(res.body as never), createWriteStream(file));
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const javaRelease = (home: string) => (existsSync(join(home, 'release')) ? readFileSync(join(home, 'release'), 'utf8') : '');

/** A JDK's name and version from its `release` file, as in "Eclipse Adoptium 25.0.3". */
export function javaName(home: string): string {
  const field = (name: string) => new RegExp(`^${name}="([^"]*)"`, 'm').exec(javaRelease(home))?.[1];
  return `${field('IMPLEMENTOR') ?? 'Java'} ${field('JAVA_VERSION') ?? '(unknown version)'}`;
}

/** A JDK of at least this major version: JAVA_HOME if it is one, else the newest under /usr/lib/jvm. */
export async function javaHome(minimum: number): Promise<string> {
  const major = (home: string) => Number(/^JAVA_VERSION="(\d+)/m.exec(javaRelease(home))?.[1] ?? 0);
  const candidates = [process.env.JAVA_HOME, ...(existsSync('/usr/lib/jvm') ? readdirSync('/usr/lib/jvm').map((d) => join('/usr/lib/jvm', d)) : [])]
    .filter((home): home is string => Boolean(home) && existsSync(join(home!, 'bin', 'java')))
    .sort((a, b) => major(b) - major(a));
  const found = candidates.find((home) => major(home) >= minimum);
  if (!found) throw new Error(`no Java ${minimum} or newer (JAVA_HOME or /usr/lib/jvm)`);
  return found;
}

export function startServer(command: string, argv: string[], env: Record<string, string>, logFile: string): ServerProcess {
  const log = openSync(logFile, 'a');
  const child = spawn(command, argv, { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
  let ended = child.pid === undefined;
  const exit = new Promise<void>((resolve) => {
    child.on('exit', () => { ended = true; resolve(); });
    child.on('error', () => { ended = true; resolve(); });
  });
  return {
    pid: child.pid ?? -1,
    ended: () => ended,
    logTail: () => readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' / '),
    async stop() {
      if (ended) return;
      // A stopped (paused) process handles SIGTERM only once continued.
      signalTree(child.pid!, 'SIGCONT');
      signalTree(child.pid!, 'SIGTERM');
      await Promise.race([exit, new Promise((r) => setTimeout(r, 15_000))]);
      signalTree(child.pid!, 'SIGKILL');
      await exit;
    },
  };
}

/** Polls a URL until it answers 200; fails at once if the server has ended, with the end of its log. */
export async function waitForHttp(url: string, timeoutMs: number, server: ServerProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.ended()) throw new Error(`the server ended before answering: ${server.logTail()}`);
    const ok = await fetch(url).then((res) => res.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s: ${server.logTail()}`);
}
