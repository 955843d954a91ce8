// The uses of a grant that allows a counted number of them (an interaction's `max_uses`). Use n is a document with
// id `<grant>:<n>`, and taking it is an insert that only one caller wins, in any process: the count is exact
// without a read-then-write, and each use stays on record until its token ends.
import type { Doc, Store } from '../store/index.ts';
import type { CountedUse } from './grant_check.ts';

export interface Use extends Doc {
  grantId: string;
  n: number;
  at: number;
}

export class CountedUses {
  readonly #docs;

  constructor(store: Store) {
    this.#docs = store.collection<Use>({ name: 'counted_uses', indexes: [{ field: 'grantId' }] });
  }

  /** Takes the next free use: its number, or undefined when all `maxUses` are taken. */
  async spend(use: CountedUse): Promise<number | undefined> {
    // The count only says where to start: a use counted meanwhile makes that insert fail, and the next one is tried.
    for (let n = (await this.#docs.count({ grantId: use.grantId })) + 1; n <= use.maxUses; n += 1) {
      if (await this.#docs.insert({ id: `${use.grantId}:${n}`, grantId: use.grantId, n, at: Date.now(), expiresAt: use.until })) return n;
    }
    return undefined;
  }

  async taken(grantId: string): Promise<number> {
    return this.#docs.count({ grantId });
  }
}
