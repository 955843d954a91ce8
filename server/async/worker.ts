// A worker: claims jobs and runs them, then claims due callbacks and delivers them, each under a lease. Any
// number of workers, in any number of processes, may share one store.
import { randomUUID } from 'node:crypto';
import type { LiveGrant, SubjectView } from '../oidc/index.ts';
import type { Deliveries, Delivery } from './deliveries.ts';
import type { Job, Jobs } from './jobs.ts';
import { OperationFailed, type AsyncOperation } from './operations.ts';
import { withJitter } from './jitter.ts';
import type { WebhookSender, WebhookTarget } from './webhooks.ts';

export interface WorkerDeps {
  jobs: Jobs;
  deliveries: Deliveries;
  operations: Record<string, AsyncOperation>;
  sender: WebhookSender;
  target(clientId: string): Promise<WebhookTarget | undefined>;
  /** The grant in force, or undefined once it was revoked or ended. */
  liveGrant(grantId: string): Promise<LiveGrant | undefined>;
  /** How an app knows users, for a job under no grant; under a grant, results name them as the grant's app does (a page as its backend). */
  viewOf(clientId: string): Promise<SubjectView>;
  /** Told the outcome of every delivery attempt (for metrics). */
  observe(outcome: 'delivered' | 'failed' | 'disabled' | 'dead'): void;
  /** Delays before each delivery attempt, ms. */
  schedule: number[];
  leaseMs: number;
  pollMs: number;
  report(err: unknown): void;
}

export const jobDeliveryId = (jobId: string) => `msg_job_${jobId}`;

/** One kind of work: one loop claims (so a worker's claims never race each other for the same item) and hands each
 * claimed item to a run of its own, up to `atOnce` under way; while busy it claims again after yielding to I/O, while
 * idle it waits for the poll interval or until something is queued in this process. */
class Lane<T> {
  readonly #claim: () => Promise<T | undefined>;
  readonly #work: (item: T) => Promise<void>;
  readonly #pollMs: number;
  readonly #atOnce: number;
  readonly #report: (err: unknown) => void;
  #running = false;
  #started?: Promise<void>;
  readonly #idle = new Set<() => void>();

  constructor(claim: () => Promise<T | undefined>, work: (item: T) => Promise<void>, options: { pollMs: number; atOnce: number; report: (err: unknown) => void }) {
    this.#claim = claim;
    this.#work = work;
    this.#pollMs = options.pollMs;
    this.#atOnce = options.atOnce;
    this.#report = options.report;
  }

  start(): void {
    this.#running = true;
    this.#started ??= this.#run();
  }

  async #run(): Promise<void> {
    const underWay = new Set<Promise<void>>();
    while (this.#running) {
      if (underWay.size >= this.#atOnce) {
        await Promise.race(underWay);
        continue;
      }
      const item = await this.#claim().catch((err) => { this.#report(err); return undefined; });
      if (item === undefined) {
        if (this.#running) await this.#wait();
        continue;
      }
      const run: Promise<void> = this.#work(item).catch(this.#report).finally(() => underWay.delete(run));
      underWay.add(run);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(underWay);
  }

  #wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => { clearTimeout(timer); this.#idle.delete(done); resolve(); };
      const timer = setTimeout(done, this.#pollMs);
      this.#idle.add(done);
    });
  }

  /** Something was queued: an idle lane looks at once instead of at its next poll. */
  wake(): void {
    for (const done of [...this.#idle]) done();
  }

  /** Stops claiming and lets the work under way finish. */
  async stop(): Promise<void> {
    this.#running = false;
    this.wake();
    await this.#started;
    this.#started = undefined;
  }
}

/** Callbacks wait on the network: this many are delivered at once by each worker, so one slow app delays no other. */
const DELIVERIES_AT_ONCE = 8;

export class Worker {
  readonly id = `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly #deps: WorkerDeps;
  /** Jobs and callbacks in lanes of their own, so that a slow callback holds up no job, and callbacks several at once. */
  readonly #jobs: Lane<Job>;
  readonly #deliveries: Lane<Delivery>;
  #unsubscribe: (() => void)[] = [];

  constructor(deps: WorkerDeps) {
    this.#deps = deps;
    this.#jobs = new Lane(() => deps.jobs.claim(this.id, deps.leaseMs), (job) => this.#run(job), { pollMs: deps.pollMs, atOnce: 1, report: deps.report });
    this.#deliveries = new Lane(() => deps.deliveries.claimDue(this.id, deps.leaseMs), (delivery) => this.#deliver(delivery), { pollMs: deps.pollMs, atOnce: DELIVERIES_AT_ONCE, report: deps.report });
  }

  start(): void {
    if (this.#unsubscribe.length) return;
    this.#unsubscribe = [
      this.#deps.jobs.whenQueued(() => this.#jobs.wake()),
      this.#deps.deliveries.whenQueued(() => this.#deliveries.wake()),
    ];
    this.#jobs.start();
    this.#deliveries.start();
  }

  async #run(job: Job): Promise<void> {
    const { jobs, deliveries, operations, leaseMs } = this.#deps;
    const renew = setInterval(() => { jobs.renew(job, this.id, leaseMs).catch(this.#deps.report); }, Math.max(50, leaseMs / 3));
    let outcome: { result?: unknown; error?: Job['error'] };
    try {
      const op = Object.hasOwn(operations, job.api) ? operations[job.api] : undefined;
      if (!op) throw new OperationFailed('unknown_api', `no operation ${job.api}`);
      // The grant is checked again when the work is done: a revocation in between stops it.
      const grant = job.grantId ? await this.#deps.liveGrant(job.grantId) : undefined;
      if (job.grantId && !grant) throw new OperationFailed('forbidden', 'the grant behind this request was revoked');
      const subjectOf = grant ? grant.subjectOf : await this.#deps.viewOf(job.clientId);
      outcome = { result: await op.run({ jobId: job.id, sub: job.sub, clientId: job.clientId, subjectOf }, job.input) };
    } catch (err) {
      if (!(err instanceof OperationFailed)) this.#deps.report(err);
      outcome = { error: err instanceof OperationFailed ? { code: err.code, message: err.message } : { code: 'internal_error', message: 'the operation failed' } };
    } finally {
      clearInterval(renew);
    }
    // The callback is queued under an id derived from the job, before the job is marked done: a crash in between
    // re-runs the job into the same callback, never a second one.
    await deliveries.enqueue({
      id: jobDeliveryId(job.id), clientId: job.clientId, jobId: job.id, initialDelayMs: this.#deps.schedule[0],
      type: outcome.error ? 'job.failed' : 'job.succeeded',
      data: { job_id: job.id, api: job.api, ...(outcome.error ? { error: outcome.error } : { result: outcome.result }) },
    });
    await jobs.finish(job, this.id, outcome);
  }

  async #deliver(delivery: Delivery): Promise<void> {
    const { deliveries, sender, schedule } = this.#deps;
    if (await deliveries.callbackDisabled(delivery.clientId)) {
      return deliveries.record(delivery, this.id, { at: Date.now(), error: 'the client\'s callback is disabled' }, { state: 'disabled' });
    }
    const target = await this.#deps.target(delivery.clientId);
    if (!target) return deliveries.record(delivery, this.id, { at: Date.now(), error: 'the client has no callback (no callback_uri, removed, or suspended)' }, { state: 'dead' });
    const outcome = await sender.send(target, { id: delivery.id, type: delivery.type, data: delivery.data });
    const attempt = { at: outcome.at, status: outcome.status, error: outcome.error };
    if (outcome.delivered) {
      this.#deps.observe('delivered');
      return deliveries.record(delivery, this.id, attempt, { state: 'delivered' });
    }
    if (outcome.status === 410) {
      this.#deps.observe('disabled');
      await deliveries.disableCallback(delivery.clientId);
      return deliveries.record(delivery, this.id, attempt, { state: 'disabled' });
    }
    const next = delivery.round + 1;
    this.#deps.observe(next >= schedule.length ? 'dead' : 'failed');
    if (next >= schedule.length) return deliveries.record(delivery, this.id, attempt, { state: 'dead' });
    const delay = Math.max(withJitter(schedule[next]), outcome.retryAfterMs ?? 0);
    return deliveries.record(delivery, this.id, attempt, { state: 'pending', nextAt: Date.now() + delay });
  }

  /** Stops claiming, lets the current rounds finish, and hands back anything still leased. */
  async stop(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    await Promise.all([this.#jobs.stop(), this.#deliveries.stop()]);
    await this.#deps.jobs.releaseAll(this.id);
    await this.#deps.deliveries.releaseAll(this.id);
  }
}
