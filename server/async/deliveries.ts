// The durable outbox of callbacks: each delivery keeps one webhook-id across all its attempts, is claimed by one
// worker at a time, and ends delivered, dead after the schedule, or disabled by a 410.
import { randomUUID } from 'node:crypto';
import { Listeners } from './listeners.ts';
import { lt, lte, type CollectionSpec, type Doc, type Store } from '../store/index.ts';

export type DeliveryState = 'pending' | 'delivered' | 'dead' | 'disabled';

export interface DeliveryAttempt {
  at: number;
  status?: number;
  error?: string;
}

export interface Delivery extends Doc {
  clientId: string;
  type: string;
  data: Record<string, unknown>;
  jobId?: string;
  state: DeliveryState;
  attempts: DeliveryAttempt[];
  /** Attempts made in the current round; a redelivery starts a new round. */
  round: number;
  nextAt: number;
  leaseUntil: number;
  leaseOwner?: string;
  createdAt: number;
}

interface CallbackStatus extends Doc {
  disabledAt: number;
}

export const DELIVERIES: CollectionSpec = {
  name: 'deliveries',
  indexes: [{ field: 'state', sortBy: 'nextAt' }, { field: 'jobId' }, { field: 'nextAt' }, { field: 'clientId', sortBy: 'createdAt' }],
};

export class Deliveries {
  readonly #docs;
  readonly #queued = new Listeners();
  readonly #disabled;

  constructor(store: Store) {
    this.#docs = store.collection<Delivery>(DELIVERIES);
    this.#disabled = store.collection<CallbackStatus>({ name: 'callback_disabled' });
  }

  /** Calls `listener` whenever this process queues one; returns the unsubscribe. */
  whenQueued(listener: () => void): () => void {
    return this.#queued.add(listener);
  }

  /** Queues a callback; with an id, queueing it again (a job re-run after a crash) changes nothing. */
  async enqueue(input: { clientId: string; type: string; data: Record<string, unknown>; jobId?: string; id?: string; initialDelayMs?: number }): Promise<Delivery> {
    const now = Date.now();
    const delivery: Delivery = {
      id: input.id ?? `msg_${randomUUID()}`, clientId: input.clientId, type: input.type, data: input.data, jobId: input.jobId,
      state: 'pending', attempts: [], round: 0, nextAt: now + (input.initialDelayMs ?? 0), leaseUntil: 0, createdAt: now,
    };
    if (!await this.#docs.insert(delivery)) return (await this.#docs.get(delivery.id))!;
    this.#queued.tell();
    return delivery;
  }

  async claimDue(owner: string, leaseMs: number): Promise<Delivery | undefined> {
    const now = Date.now();
    return this.#docs.claim({ state: 'pending', nextAt: lte(now), leaseUntil: lt(now) }, { leaseUntil: now + leaseMs, leaseOwner: owner }, { orderBy: { field: 'nextAt' } });
  }

  /** Writes an attempt's outcome, if this worker still holds the delivery. */
  async record(delivery: Delivery, owner: string, attempt: DeliveryAttempt, next: { state: DeliveryState; nextAt?: number }): Promise<void> {
    await this.#docs.update(delivery.id, {
      attempts: [...delivery.attempts, attempt], round: delivery.round + 1, state: next.state,
      nextAt: next.nextAt ?? delivery.nextAt, leaseUntil: 0, leaseOwner: null,
    }, { leaseOwner: owner });
  }

  async forJob(jobId: string): Promise<Delivery[]> {
    return this.#docs.find({ jobId }, { orderBy: { field: 'createdAt' } });
  }

  /** A client's latest deliveries, newest first. */
  async forClient(clientId: string, limit: number): Promise<Delivery[]> {
    return this.#docs.find({ clientId }, { orderBy: { field: 'createdAt', direction: 'desc' }, limit });
  }

  async get(id: string): Promise<Delivery | undefined> {
    return this.#docs.get(id);
  }

  /** Starts a new round of attempts now, keeping the history. */
  async redeliver(id: string): Promise<Delivery | undefined> {
    return this.#docs.update(id, { state: 'pending', round: 0, nextAt: Date.now(), leaseUntil: 0, leaseOwner: null });
  }

  async releaseAll(owner: string): Promise<void> {
    for (const d of await this.#docs.find({ leaseOwner: owner, state: 'pending' })) await this.#docs.update(d.id, { leaseUntil: 0, leaseOwner: null }, { leaseOwner: owner });
  }

  async disableCallback(clientId: string): Promise<void> {
    await this.#disabled.put({ id: clientId, disabledAt: Date.now() });
  }

  async enableCallback(clientId: string): Promise<boolean> {
    return this.#disabled.delete(clientId);
  }

  async callbackDisabled(clientId: string): Promise<boolean> {
    return (await this.#disabled.get(clientId)) !== undefined;
  }
}
