// Asynchronous calls: encrypted API calls, a durable job queue and callback outbox, and the workers that run them.
import type { PlazaConfig } from '../config/index.ts';
import type { Capability, Oidc } from '../oidc/index.ts';
import type { AuditLog, GrantCheck, Groups, Messages } from '../social/index.ts';
import type { Store } from '../store/index.ts';
import { asyncApiRoutes } from './api.ts';
import { Deliveries } from './deliveries.ts';
import { Jobs } from './jobs.ts';
import { asyncApiDescription } from './openapi.ts';
import { asyncOperations } from './operations.ts';
import { WebhookSender } from './webhooks.ts';
import { Worker } from './worker.ts';

export type { Worker } from './worker.ts';
export { JOBS, type Job } from './jobs.ts';
export { DELIVERIES, type Deliveries, type Delivery } from './deliveries.ts';

/** Queues a callback to a client; delivered by a worker with retries. */
export interface CallbackQueue {
  enqueue(input: { clientId: string; type: string; data: Record<string, unknown> }): Promise<unknown>;
}

export interface AsyncDeps {
  config: Pick<PlazaConfig, 'issuer' | 'callbackRetrySchedule' | 'webhookTimeoutMs' | 'allowInsecureCallbacks' | 'jobLeaseMs' | 'workerPollMs'>;
  store: Store;
  oidc: Pick<Oidc, 'decryptionKeys' | 'clients' | 'liveGrant' | 'subjects'>;
  check: GrantCheck;
  groups: Groups;
  messages: Messages;
  audit: AuditLog;
  report(err: unknown): void;
  observeDelivery(outcome: string): void;
}

export interface AsyncCapability extends Capability {
  callbacks: CallbackQueue;
  deliveries: Deliveries;
  jobs: Jobs;
  newWorker(): Worker;
}

export function createAsync(deps: AsyncDeps): AsyncCapability {
  const { config } = deps;
  const jobs = new Jobs(deps.store);
  const deliveries = new Deliveries(deps.store);
  const operations = asyncOperations(deps);
  const schedule = config.callbackRetrySchedule;
  const sender = new WebhookSender({ timeoutMs: config.webhookTimeoutMs, allowLoopback: config.allowInsecureCallbacks });
  return {
    jobs,
    deliveries,
    callbacks: { enqueue: (input) => deliveries.enqueue({ ...input, initialDelayMs: schedule[0] }) },
    openapi: asyncApiDescription(operations),
    api: asyncApiRoutes({ issuer: config.issuer, check: deps.check, jobs, deliveries, operations, decryptionKeys: deps.oidc.decryptionKeys }),
    newWorker: () => new Worker({
      jobs, deliveries, operations, sender, schedule, report: deps.report,
      target: (clientId) => deps.oidc.clients.callbackOf(clientId),
      liveGrant: deps.oidc.liveGrant,
      viewOf: (clientId) => deps.oidc.subjects.viewOf(clientId),
      observe: deps.observeDelivery,
      leaseMs: config.jobLeaseMs, pollMs: config.workerPollMs,
    }),
  };
}
