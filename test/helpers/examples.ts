// Runs a program from examples/ as its own Node.js process, the way its header comment says, and reads what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ALICE, seedBasics } from './fixtures.ts';
import { freePort, startServer, type TestServer } from './harness.ts';
import { stopChild } from './plaza_process.ts';
import { TOKEN_EXCHANGE } from './social.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
/** Long enough for a loaded machine; every wait is bounded by it. */
const WAIT_MS = 30_000;

export class Example {
  readonly lines: string[] = [];
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #listeners: (() => void)[] = [];

  constructor(name: string, env: Record<string, string>) {
    this.#child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(EXAMPLES, `${name}.ts`)], {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const heard = (line: string) => {
      this.lines.push(line);
      for (const listener of this.#listeners) listener();
    };
    createInterface({ input: this.#child.stdout! }).on('line', heard);
    createInterface({ input: this.#child.stderr! }).on('line', (line) => heard(`[stderr] ${line}`));
    this.#exited = new Promise((resolve) => { this.#child.once('exit', (code) => resolve(code)); });
  }

  /** The first line (printed so far or later) that matches, within a bounded time; fails with everything printed. */
  line(pattern: RegExp): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (const line of this.lines) {
          const match = pattern.exec(line);
          if (match) return done(() => resolve(match));
        }
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no line matching ${pattern} within ${WAIT_MS} ms:\n${this.lines.join('\n')}`))), WAIT_MS);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.#listeners = this.#listeners.filter((l) => l !== check);
        settle();
      };
      this.#listeners.push(check);
      check();
    });
  }

  /** The exit code of a program that ends by itself, within a bounded time. */
  async exitCode(): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`did not exit within ${WAIT_MS} ms:\n${this.lines.join('\n')}`)), WAIT_MS); });
    try {
      return await Promise.race([this.#exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): Promise<void> {
    return stopChild(this.#child);
  }
}

/** A bot example: Plaza, the bot's registration (a webhook app in alice's group `hiking`), and the bot, listening. */
export interface BotExample {
  plaza: TestServer;
  botUrl: string;
  bot: { client_id: string; client_secret: string; webhook_secret: string };
  example: Example;
}

/** Starts Plaza and examples/<name>.ts, registered as `client` plus what every webhook bot has; stopped at teardown. */
export async function startBotExample(
  t: { teardown(fn: () => Promise<void>): void }, name: string, client: { client_id: string; client_secret: string } & Record<string, unknown>,
): Promise<BotExample> {
  const plaza = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', WORKER_POLL_MS: '20' } });
  const botUrl = `http://127.0.0.1:${await freePort()}`;
  const bot = {
    grant_types: [TOKEN_EXCHANGE], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post',
    callback_uri: `${botUrl}/hooks`, webhook_secret: `whsec_${randomBytes(32).toString('base64')}`, ...client,
  };
  await seedBasics(plaza);
  await plaza.plaza.admin.seed({ clients: [bot], groups: [{ id: 'hiking', name: 'Weekend Hiking', members: [ALICE.username] }] });
  const example = new Example(name, {
    PLAZA_ISSUER: plaza.url, CLIENT_ID: bot.client_id, CLIENT_SECRET: bot.client_secret, WEBHOOK_SECRET: bot.webhook_secret, BOT_URL: botUrl,
  });
  t.teardown(async () => {
    await example.stop();
    await plaza.stop();
  });
  await example.line(new RegExp(`^${name} example: listening`));
  return { plaza, botUrl, bot, example };
}

/** A webhook event posted to a bot with a made-up Standard Webhooks signature: the bot must refuse it. */
export function forgedWebhook(botUrl: string, event: unknown): Promise<Response> {
  return fetch(`${botUrl}/hooks`, {
    method: 'POST', body: JSON.stringify(event),
    headers: { 'webhook-id': 'msg_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': `v1,${randomBytes(32).toString('base64')}` },
  });
}
