// The durable job queue: workers claim jobs with a lease (one conditional update), renew it while working,
// and a job whose worker died is claimed again once its lease has run out.
import { randomUUID } from 'node:crypto';
import { Listeners } from './listeners.ts';
import { lt, type CollectionSpec, type Doc, type Store } from '../store/index.ts';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface Job extends Doc {
  clientId: string;
  sub: string;
  /** The grant the request came under; the job fails if it is revoked before the work is done. */
  grantId?: string;
  api: string;
  input: Record<string, unknown>;
  state: JobState;
  result?: unknown;
  error?: { code: string; message: string };
  runs: number;
  leaseUntil: number;
  leaseOwner?: string;
  createdAt: number;
  finishedAt?: number;
}

export const JOBS: CollectionSpec = { name: 'jobs', indexes: [{ field: 'state', sortBy: 'createdAt' }, { field: 'createdAt' }] };

export class Jobs {
  readonly #docs;
  readonly #queued = new Listeners();

  constructor(store: Store) {
    this.#docs = store.collection<Job>(JOBS);
  }

  /** Calls `listener` whenever this process queues one; returns the unsubscribe. */
  whenQueued(listener: () => void): () => void {
    return this.#queued.add(listener);
  }

  /** Queues a job; with an id (from an Idempotency-Key) a second submit returns the first job. */
  async submit(input: { id?: string; clientId: string; sub: string; grantId: string; api: string; input: Record<string, unknown> }): Promise<{ job: Job; created: boolean }> {
    const job: Job = {
      id: input.id ?? randomUUID(), clientId: input.clientId, sub: input.sub, grantId: input.grantId, api: input.api, input: input.input,
      state: 'queued', runs: 0, leaseUntil: 0, createdAt: Date.now(),
    };
    if (await this.#docs.insert(job)) {
      this.#queued.tell();
      return { job, created: true };
    }
    return { job: (await this.#docs.get(job.id))!, created: false };
  }

  async get(id: string): Promise<Job | undefined> {
    return this.#docs.get(id);
  }

  /** A queued job, or a running one whose worker stopped renewing its lease. */
  async claim(owner: string, leaseMs: number): Promise<Job | undefined> {
    const now = Date.now();
    const lease = { state: 'running' as const, leaseOwner: owner, leaseUntil: now + leaseMs };
    // Two claims, each one equality on the state: the oldest queued job comes straight off the (state, createdAt)
    // index, where one claim over both states sorted the whole backlog each time.
    const job = await this.#docs.claim({ state: 'running', leaseUntil: lt(now) }, lease, { orderBy: { field: 'createdAt' } })
      ?? await this.#docs.claim({ state: 'queued', leaseUntil: lt(now) }, lease, { orderBy: { field: 'createdAt' } });
    if (!job) return undefined;
    return (await this.#docs.update(job.id, { runs: job.runs + 1 }, { leaseOwner: owner })) ?? job;
  }

  async renew(job: Job, owner: string, leaseMs: number): Promise<boolean> {
    return (await this.#docs.update(job.id, { leaseUntil: Date.now() + leaseMs }, { leaseOwner: owner, state: 'running' })) !== undefined;
  }

  async finish(job: Job, owner: string, outcome: { result?: unknown; error?: Job['error'] }): Promise<boolean> {
    const patch = outcome.error
      ? { state: 'failed' as const, error: outcome.error, finishedAt: Date.now(), leaseUntil: 0 }
      : { state: 'succeeded' as const, result: outcome.result, finishedAt: Date.now(), leaseUntil: 0 };
    return (await this.#docs.update(job.id, patch, { leaseOwner: owner, state: 'running' })) !== undefined;
  }

  async queued(): Promise<number> {
    return this.#docs.count({ state: 'queued' });
  }

  /** On a clean shutdown: hands this worker's jobs back at once instead of waiting for their leases. */
  async releaseAll(owner: string): Promise<void> {
    for (const job of await this.#docs.find({ leaseOwner: owner, state: 'running' })) {
      await this.#docs.update(job.id, { state: 'queued', leaseUntil: 0, leaseOwner: null }, { leaseOwner: owner, state: 'running' });
    }
  }
}
