// Fixed-window counters kept in the store, so that every Plaza process counts together.
import { oneOf, type Doc, type Store } from './port.ts';

export interface WindowCount extends Doc {
  count: number;
}

/** Conditional writes only: a racing writer makes the loser read again, and a bounded number of times. */
const ATTEMPTS = 20;

export class WindowCounters {
  readonly #docs;
  readonly #windowMs: number;

  constructor(store: Store, name: string, windowSeconds: number) {
    this.#docs = store.collection<WindowCount>({ name });
    this.#windowMs = windowSeconds * 1000;
  }

  /** The live counters among these ids, in one read. */
  async getMany(ids: string[]): Promise<WindowCount[]> {
    return this.#docs.find({ id: oneOf(ids) });
  }

  /**
   * Adds to a counter (a window starts with its first count); never below zero. `seen` is the counter as the
   * caller just read it: the first try writes on it without reading again.
   */
  async add(id: string, delta: number, seen?: WindowCount): Promise<WindowCount | undefined> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const doc = attempt === 0 && seen ? seen : await this.#docs.get(id);
      if (!doc) {
        if (delta < 0) return undefined;
        const fresh = { id, count: delta, expiresAt: Date.now() + this.#windowMs };
        if (await this.#docs.insert(fresh)) return fresh;
      } else {
        const updated = await this.#docs.update(id, { count: Math.max(0, doc.count + delta) }, { count: doc.count });
        if (updated) return updated;
      }
    }
    return undefined;
  }

  async reset(id: string): Promise<void> {
    await this.#docs.delete(id);
  }
}

/** Whole seconds until a counter's window ends: a Retry-After value. */
export function secondsLeft(count: WindowCount): number {
  return Math.max(1, Math.ceil(((count.expiresAt ?? 0) - Date.now()) / 1000));
}
