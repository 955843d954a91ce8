// Fixed-window counters kept in the store, so that every Plaza process counts together.
import type { Doc, Store } from './port.ts';

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

  async get(id: string): Promise<WindowCount | undefined> {
    return this.#docs.get(id);
  }

  /** Adds to a counter (a window starts with its first count); never below zero. */
  async add(id: string, delta: number): Promise<WindowCount | undefined> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const doc = await this.#docs.get(id);
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
export function secondsLeft(count: { expiresAt?: number | null }): number {
  return Math.max(1, Math.ceil(((count.expiresAt ?? 0) - Date.now()) / 1000));
}
