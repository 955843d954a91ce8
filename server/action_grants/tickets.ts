// Tickets: opaque, single-use, short-lived proof of a predetermined operation (a user added an app to a group, or
// asked it something there). Only a hash is stored.
import { randomBytes } from 'node:crypto';
import { HttpError } from '../http/index.ts';
import { sha256url, type CollectionSpec, type Doc, type Store } from '../store/index.ts';
import { OPERATIONS, type OperationName, type OperationSettings } from './operations.ts';

/** What a ticket stands for; the grant its redemption creates copies it. */
export interface GrantTerms {
  sub: string;
  clientId: string;
  groupId: string;
  actions: string[];
  /** The operation that granted it; tickets and grants from before interactions have none: an added app. */
  operation?: OperationName;
  /** The message an interaction answers. */
  inReplyTo?: string;
  maxUses?: number;
  /** Lifetime of the token and its grant, seconds; none: the defaults, with a refresh token. */
  tokenTtl?: number;
}

export interface ActionTicket extends Doc, GrantTerms {
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

const UNKNOWN = 'the ticket is unknown or expired';
const PREFIXES: Record<OperationName, string> = { 'app.added': 'at_', command: 'it_', mention: 'it_', share: 'it_' };

/** Stored under the ticket's sha256url: the store never holds a ticket that could be redeemed. */
export const ACTION_TICKETS: CollectionSpec = { name: 'action_tickets', indexes: [{ field: 'sub' }, { field: 'clientId' }] };

export class ActionTickets {
  readonly #docs;
  readonly #settings: OperationSettings;

  constructor(store: Store, settings: OperationSettings) {
    this.#docs = store.collection<ActionTicket>(ACTION_TICKETS);
    this.#settings = settings;
  }

  /** A ticket for what the operation grants, living as long as its entry says. */
  async mint(terms: GrantTerms & { operation: OperationName }): Promise<{ ticket: string; expiresAt: number }> {
    const grants = OPERATIONS[terms.operation].grants(this.#settings);
    const ticket = `${PREFIXES[terms.operation]}${randomBytes(32).toString('base64url')}`;
    const expiresAt = Date.now() + grants.ticketTtl * 1000;
    const doc: ActionTicket = { id: sha256url(ticket), ...terms, expiresAt };
    if (grants.maxUses !== undefined) doc.maxUses = grants.maxUses;
    if (grants.tokenTtl !== undefined) doc.tokenTtl = grants.tokenTtl;
    await this.#docs.put(doc);
    return { ticket, expiresAt };
  }

  /** Marks the ticket used; exactly one of any number of parallel redemptions gets it. */
  async redeem(ticket: string, clientId: string, ticketType: string): Promise<ActionTicket> {
    const id = sha256url(ticket);
    const doc = await this.#docs.get(id);
    if (!doc) throw new TicketRejected(UNKNOWN);
    // Another client's attempt, or one as another kind of ticket, does not burn the ticket, and learns no more than of
    // a ticket that does not exist.
    if (doc.clientId !== clientId || OPERATIONS[doc.operation ?? 'app.added'].grants(this.#settings).ticketType !== ticketType) {
      throw new TicketRejected(UNKNOWN);
    }
    const won = await this.#docs.update(id, { redeemedAt: Date.now() }, { redeemedAt: null });
    if (won) return won;
    // A replay; when it races the first redemption, the grant may not be recorded yet, and only the replay fails.
    throw new TicketRejected('the ticket was already used', (await this.#docs.get(id))?.grantId);
  }

  /** Notes the grant on the ticket; false when the ticket is gone: its app was removed, or its user left, meanwhile. */
  async recordGrant(ticket: ActionTicket, grantId: string): Promise<boolean> {
    return (await this.#docs.update(ticket.id, { grantId })) !== undefined;
  }

  /** Voids the app's interaction tickets in the group, whoever asked. */
  async forgetInteractions(clientId: string, groupId: string): Promise<void> {
    for (const doc of await this.#docs.find({ clientId, groupId })) {
      if (doc.inReplyTo !== undefined) await this.#docs.delete(doc.id);
    }
  }

  /** Voids the app's tickets for this user and group, but those `keep` accepts. */
  async forgetFor(sub: string, clientId: string, groupId: string, keep: (terms: GrantTerms) => boolean = () => false): Promise<void> {
    for (const doc of await this.#docs.find({ sub })) {
      if (doc.clientId === clientId && doc.groupId === groupId && !keep(doc)) await this.#docs.delete(doc.id);
    }
  }
}
