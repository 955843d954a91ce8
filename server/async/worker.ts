// A worker: claims jobs and runs them, then claims due callbacks and delivers them, each under a lease. Any
// number of workers, in any number of processes, may share one store.
import { randomUUID } from 'node:crypto';
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
  grantExists(grantId: string): Promise<boolean>;
  /** Told the outcome of every delivery attempt (for metrics). */
  observe(outcome: 'delivered' | 'failed' | 'disabled' | 'dead'): void;
  /** Delays before each delivery attempt, ms. */
  schedule: number[];
  leaseMs: number;
  pollMs: number;
  report(err: unknown): void;
}

export const jobDeliveryId = (jobId: string) => `msg_job_${jobId}`;

export class Worker {
  readonly id = `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly #deps: WorkerDeps;
  #running = false;
  #timer?: NodeJS.Timeout;
  #tick?: Promise<boolean>;

  constructor(deps: WorkerDeps) {
    this.#deps = deps;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(async () => {
      this.#tick = this.tick().catch((err) => { this.#deps.report(err); return false; });
      const busy = await this.#tick;
      this.#schedule(busy ? 0 : this.#deps.pollMs);
    }, delayMs);
  }

  /** One round: at most one job and one delivery. Returns whether there was anything to do. */
  async tick(): Promise<boolean> {
    const job = await this.#deps.jobs.claim(this.id, this.#deps.leaseMs);
    if (job) await this.#run(job);
    const delivery = await this.#deps.deliveries.claimDue(this.id, this.#deps.leaseMs);
    if (delivery) await this.#deliver(delivery);
    return Boolean(job || delivery);
  }

  async #run(job: Job): Promise<void> {
    const { jobs, deliveries, operations, leaseMs } = this.#deps;
    const renew = setInterval(() => { jobs.renew(job, this.id, leaseMs).catch(this.#deps.report); }, Math.max(50, leaseMs / 3));
    let outcome: { result?: unknown; error?: Job['error'] };
    try {
      const op = Object.hasOwn(operations, job.api) ? operations[job.api] : undefined;
      if (!op) throw new OperationFailed('unknown_api', `no operation ${job.api}`);
      // The grant is checked again when the work is done: a revocation in between stops it.
      if (job.grantId && !await this.#deps.grantExists(job.grantId)) throw new OperationFailed('forbidden', 'the grant behind this request was revoked');
      outcome = { result: await op.run({ jobId: job.id, sub: job.sub, clientId: job.clientId }, job.input) };
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

  /** Stops claiming, lets the current round finish, and hands back anything still leased. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#tick;
    await this.#deps.jobs.releaseAll(this.id);
    await this.#deps.deliveries.releaseAll(this.id);
  }
}
