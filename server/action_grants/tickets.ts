// Action tickets: opaque, single-use, short-lived proof that a user added an app to a group. Only a hash is stored.
import { randomBytes } from 'node:crypto';
import { HttpError } from '../http/index.ts';
import { sha256url, type CollectionSpec, type Doc, type Store } from '../store/index.ts';

export interface ActionTicket extends Doc {
  sub: string;
  clientId: string;
  groupId: string;
  actions: string[];
  redeemedAt?: number;
  /** The grant the first redemption created, revoked if the ticket is replayed. */
  grantId?: string;
}

/** The ticket cannot be redeemed: unknown, expired, another client's, or used already (`invalid_grant`). */
export class TicketRejected extends HttpError {
  override name = 'TicketRejected';
  /** On replay: the grant the first redemption created, to be revoked. */
  readonly firstGrantId?: string;
  constructor(message: string, firstGrantId?: string) {
    super(400, message, { code: 'invalid_grant' });
    this.firstGrantId = firstGrantId;
  }
}

const UNKNOWN = 'the action ticket is unknown or expired';

/** Stored under the ticket's sha256url: the store never holds a ticket that could be redeemed. */
export const ACTION_TICKETS: CollectionSpec = { name: 'action_tickets', indexes: [{ field: 'sub' }] };

export class ActionTickets {
  readonly #docs;
  readonly #ttlSeconds: number;

  constructor(store: Store, ttlSeconds: number) {
    this.#docs = store.collection<ActionTicket>(ACTION_TICKETS);
    this.#ttlSeconds = ttlSeconds;
  }

  async mint(input: { sub: string; clientId: string; groupId: string; actions: string[] }): Promise<{ ticket: string; expiresAt: number }> {
    const ticket = `at_${randomBytes(32).toString('base64url')}`;
    const expiresAt = Date.now() + this.#ttlSeconds * 1000;
    await this.#docs.put({ id: sha256url(ticket), ...input, expiresAt });
    return { ticket, expiresAt };
  }

  /** Marks the ticket used; exactly one of any number of parallel redemptions gets it. */
  async redeem(ticket: string, clientId: string): Promise<ActionTicket> {
    const id = sha256url(ticket);
    const doc = await this.#docs.get(id);
    if (!doc) throw new TicketRejected(UNKNOWN);
    // Another client's attempt does not burn the ticket, and learns no more than of a ticket that does not exist.
    if (doc.clientId !== clientId) throw new TicketRejected(UNKNOWN);
    const won = await this.#docs.update(id, { redeemedAt: Date.now() }, { redeemedAt: null });
    if (won) return won;
    // A replay; when it races the first redemption, the grant may not be recorded yet, and only the replay fails.
    throw new TicketRejected('the action ticket was already used', (await this.#docs.get(id))?.grantId);
  }

  /** Notes the grant on the ticket; false when the ticket is gone: its app was removed, or its user left, meanwhile. */
  async recordGrant(ticket: ActionTicket, grantId: string): Promise<boolean> {
    return (await this.#docs.update(ticket.id, { grantId })) !== undefined;
  }

  /** Voids the app's tickets for this user and group, but those `keep` accepts. */
  async forgetFor(sub: string, clientId: string, groupId: string, keep: (actions: string[]) => boolean = () => false): Promise<void> {
    for (const doc of await this.#docs.find({ sub })) {
      if (doc.clientId === clientId && doc.groupId === groupId && !keep(doc.actions)) await this.#docs.delete(doc.id);
    }
  }
}
