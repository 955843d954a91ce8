// Holds one store call at the moment it is made, while the test does something else, then lets it go on:
// a race played in a chosen order, without timing.
import type { Store } from '../../server/store/index.ts';
import { beforeEveryCall } from './store_calls.ts';

interface Hold {
  collection: string;
  method: string;
  reached: () => void;
  released: Promise<void>;
}

export class StoreGate {
  readonly #holds: Hold[] = [];

  /** Holds the next call of `method` on `collection`: `reached` settles when it is made, `release` lets it run. */
  hold(collection: string, method: string): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => { reached = resolve; });
    const released = new Promise<void>((resolve) => { release = resolve; });
    this.#holds.push({ collection, method, reached, released });
    return { reached: reachedPromise, release };
  }

  wrap(store: Store): Store {
    return beforeEveryCall(store, async (collection, method) => {
      const index = this.#holds.findIndex((h) => h.collection === collection && h.method === method);
      if (index < 0) return;
      const [hold] = this.#holds.splice(index, 1);
      hold.reached();
      await hold.released;
    });
  }
}
