// Probes for the orchestrator and the scraper, answered before any other work on the request.
import type { Middleware } from 'koa';

/** What readiness asks of the store: that it answers. */
export interface Pingable {
  engine: string;
  ping(): Promise<void>;
}

/** /healthz: the process answers. /readyz: the store answers and the keys are loaded. /metrics, unless it has a port of its own. */
export function health(store: Pingable, metrics: Middleware | undefined): Middleware {
  return async (ctx, next) => {
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path === '/readyz') {
      try {
        await store.ping();
        ctx.body = { status: 'ready', store: store.engine };
      } catch {
        ctx.status = 503;
        ctx.body = { status: 'unavailable', store: store.engine };
      }
      return;
    }
    if (metrics) return metrics(ctx, next);
    await next();
  };
}
