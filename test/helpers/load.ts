// Traffic for load tests: sends requests, keeps count of what answered, and tells an expected failure (a
// connection cut while the test has a server down on purpose) from a real one (an unexpected status, a 5xx, a
// connection error while every server is up).

export interface Answer {
  status: number;
  body?: unknown;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** fetch failed to connect, or the connection broke off before the whole answer arrived. */
function isConnectionError(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if (CONNECTION_CODES.has((e as { code?: string }).code ?? '')) return true;
  }
  return false;
}

export class Traffic {
  /** Why requests went wrong: empty when everything answered as expected. */
  readonly failures: string[] = [];
  /** Outcomes by request kind: "<what> <status>", or "<what> cut" for a connection error. */
  readonly tally = new Map<string, number>();
  answered = 0;
  cut = 0;
  #down = false;
  #outages = 0;

  /** A server is going down on purpose: requests in flight now, and those sent until `up()`, may be cut. */
  down(): void {
    this.#down = true;
    this.#outages += 1;
  }

  up(): void {
    this.#down = false;
  }

  /** Sends; returns the answer when its status is one of `expected`, otherwise records why not and returns undefined. */
  async send<T extends Answer>(what: string, expected: number[], request: () => Promise<T>): Promise<T | undefined> {
    const downAtStart = this.#down;
    const outagesAtStart = this.#outages;
    try {
      const answer = await request();
      this.#count(`${what} ${answer.status}`);
      if (expected.includes(answer.status)) {
        this.answered += 1;
        return answer;
      }
      this.failures.push(`${what}: ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)}`);
    } catch (err) {
      if (!isConnectionError(err)) {
        this.failures.push(`${what}: ${err instanceof Error ? err.stack : String(err)}`);
        return undefined;
      }
      this.#count(`${what} cut`);
      this.cut += 1;
      if (!downAtStart && this.#outages === outagesAtStart) this.failures.push(`${what}: connection error while the server was up: ${String((err as Error).cause ?? err)}`);
    }
    return undefined;
  }

  summary(): string {
    return [...this.tally].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}: ${n}`).join(', ');
  }

  #count(key: string): void {
    this.tally.set(key, (this.tally.get(key) ?? 0) + 1);
  }
}

/** Runs `fn` over the items, at most `limit` at a time; returns what failed, as text. */
export async function checkAll<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<string | undefined>): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      const problem = await fn(item).catch((err: unknown) => `${JSON.stringify(item)}: ${err instanceof Error ? err.message : String(err)}`);
      if (problem) problems.push(problem);
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return problems;
}
