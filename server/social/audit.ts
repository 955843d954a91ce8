// Every action taken on a user's behalf: who, through which app, what, where, when. The user reads it on a page.
import { randomUUID } from 'node:crypto';
import { lt, type CollectionSpec, type Doc, type Store, type Where } from '../store/index.ts';

export interface AuditEntry extends Doc {
  sub: string;
  via: string | null;
  action: string;
  groupId?: string;
  detail?: string;
  at: number;
}

/** Entries through an app that record what the user decided about it, not what it did. */
const USER_DECISIONS = new Set(['consent.given', 'access.revoked']);
/** How far back to look for an app's last act past the user's decisions about it, which come a few at a time. */
const LAST_ACT_WINDOW = 50;

export const AUDIT_LOG: CollectionSpec = { name: 'audit', indexes: [{ field: 'sub' }, { field: 'at' }] };

export class AuditLog {
  readonly #docs;

  constructor(store: Store) {
    this.#docs = store.collection<AuditEntry>(AUDIT_LOG);
  }

  /** Records an entry; given an id, recording it again keeps the first. */
  async record(entry: Omit<AuditEntry, 'id' | 'at'>, id?: string): Promise<void> {
    await this.#docs.insert({ id: id ?? randomUUID(), at: Date.now(), ...entry });
  }

  async listFor(sub: string, limit = 100): Promise<AuditEntry[]> {
    return this.#docs.find({ sub }, { orderBy: { field: 'at', direction: 'desc' }, limit });
  }

  /** One page of a user's entries, newest first, older than `before` (epoch ms), through one app and in one group. */
  async page(sub: string, filter: { via?: string; groupId?: string; before?: number }, limit: number): Promise<AuditEntry[]> {
    const where: Where = { sub };
    if (filter.via) where.via = filter.via;
    if (filter.groupId) where.groupId = filter.groupId;
    if (filter.before) where.at = lt(filter.before);
    return this.#docs.find(where, { orderBy: { field: 'at', direction: 'desc' }, limit });
  }

  /** When the app last did something as the user: posted, added an app, got a token. */
  async lastActed(sub: string, via: string): Promise<number | undefined> {
    return (await this.page(sub, { via }, LAST_ACT_WINDOW)).find((entry) => !USER_DECISIONS.has(entry.action))?.at;
  }
}
