// Window counters counted in memory and shared through the store at most every `syncMs` per counter: under load a
// process writes a counter a few times a second instead of on every use. Until it syncs, a process does not see
// what the others counted; with `syncMs` 0 every use reads and writes the store.
import type { Store } from './port.ts';
import { WindowCounters } from './window_counter.ts';

interface KnownCount {
  /** The count in the store when this process last synced, plus what it counted since. */
  count: number;
  /** What this process counted since it last synced. */
  unsynced: number;
  expiresAt: number;
  syncedAt: number;
}

/** Past this many counters in memory, those whose window ended are dropped, and if that is not enough, all. */
const PRUNE_AT = 10_000;

export class SharedCounters {
  readonly #counters: WindowCounters;
  readonly #windowMs: number;
  readonly #syncMs: number;
  readonly #known = new Map<string, KnownCount>();
  readonly #syncing = new Map<string, Promise<KnownCount>>();

  constructor(store: Store, name: string, options: { windowSeconds: number; syncMs: number }) {
    this.#counters = new WindowCounters(store, name, options.windowSeconds);
    this.#windowMs = options.windowSeconds * 1000;
    this.#syncMs = options.syncMs;
  }

  /** The count of the current window, synced first when this process's view is older than `syncMs`. */
  async count(id: string): Promise<{ count: number; expiresAt: number }> {
    const known = this.#live(id);
    if (known && Date.now() - known.syncedAt < this.#syncMs) return known;
    return this.#sync(id);
  }

  /** Counts one use in memory, and writes what this process counted when its view is older than `syncMs`. */
  async add(id: string): Promise<void> {
    let known = this.#live(id);
    if (!known) {
      if (this.#known.size >= PRUNE_AT) this.#prune();
      known = { count: 0, unsynced: 0, expiresAt: Date.now() + this.#windowMs, syncedAt: 0 };
      this.#known.set(id, known);
    }
    known.count += 1;
    known.unsynced += 1;
    if (Date.now() - known.syncedAt >= this.#syncMs) await this.#sync(id);
  }

  #live(id: string): KnownCount | undefined {
    const known = this.#known.get(id);
    if (known && known.expiresAt <= Date.now()) {
      this.#known.delete(id);
      return undefined;
    }
    return known;
  }

  /** One sync per counter at a time: callers that arrive meanwhile share it. */
  #sync(id: string): Promise<KnownCount> {
    let syncing = this.#syncing.get(id);
    if (!syncing) {
      syncing = this.#write(id).finally(() => this.#syncing.delete(id));
      this.#syncing.set(id, syncing);
    }
    return syncing;
  }

  async #write(id: string): Promise<KnownCount> {
    const taken = this.#live(id)?.unsynced ?? 0;
    const stored = taken > 0 ? await this.#counters.add(id, taken) : await this.#counters.get(id);
    // Uses counted while the store answered are kept for the next sync.
    const since = Math.max(0, (this.#live(id)?.unsynced ?? 0) - taken);
    const synced = {
      count: (stored?.count ?? 0) + since,
      unsynced: since,
      expiresAt: stored?.expiresAt ?? Date.now() + this.#windowMs,
      syncedAt: Date.now(),
    };
    this.#known.set(id, synced);
    return synced;
  }

  #prune(): void {
    const now = Date.now();
    for (const [id, known] of this.#known) if (known.expiresAt <= now) this.#known.delete(id);
    // Memory stays bounded when very many counters are live at once: what was not yet shared is lost.
    if (this.#known.size >= PRUNE_AT) this.#known.clear();
  }
}
