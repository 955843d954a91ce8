// Runs a program from examples/ as its own Node.js process, the way its header comment says, and reads what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stopChild } from './plaza_process.ts';

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
