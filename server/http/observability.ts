// Structured JSON logs (pino) with a request id on every line and secrets redacted, and Prometheus metrics
// (prom-client) in a registry of this Plaza's own.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import pino, { type DestinationStream, type Logger } from 'pino';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const REDACT = [
  'req.headers.authorization', 'req.headers.cookie', 'req.headers.dpop', 'res.headers["set-cookie"]',
  '*.password', '*.client_secret', '*.access_token', '*.refresh_token', '*.id_token', '*.subject_token',
  '*.code', '*.code_verifier', '*.ticket', '*.webhook_secret', '*.app_secret', '*.session_key',
];
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'plaza', pid: process.pid } }, destination);
}

export interface Metrics {
  registry: Registry;
  tokensIssued: Counter<'grant_type'>;
  deliveries: Counter<'outcome'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    tokensIssued: new Counter({ name: 'plaza_tokens_issued_total', help: 'Token responses by grant type', labelNames: ['grant_type'], registers: [registry] }),
    deliveries: new Counter({ name: 'plaza_webhook_deliveries_total', help: 'Callback attempts by outcome', labelNames: ['outcome'], registers: [registry] }),
  };
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** GET /metrics: the Prometheus text; with a token, only for `Authorization: Bearer <token>`, compared in constant time. */
export function metricsEndpoint(metrics: Metrics, token: string | undefined): Middleware {
  // Digests have one length whatever was sent, so the comparison's time says nothing about the token.
  const expected = token === undefined ? undefined : digest(token);
  return async (ctx, next) => {
    if (ctx.path !== '/metrics' || ctx.method !== 'GET') return next();
    const given = /^Bearer +(\S+)\s*$/i.exec(ctx.get('authorization'))?.[1] ?? '';
    if (expected && !timingSafeEqual(digest(given), expected)) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      ctx.body = 'the metrics need the Bearer token set in METRICS_TOKEN\n';
      return;
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  };
}

/** One log line and one metric sample per request; the request id is echoed in X-Request-Id. Paths only: query strings can hold codes. */
export function requestLog(logger: Logger, metrics: Metrics): Middleware {
  const requests = new Counter({ name: 'plaza_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [metrics.registry] });
  const duration = new Histogram({ name: 'plaza_http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['method', 'route'], registers: [metrics.registry], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const id = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.set('X-Request-Id', id);
    // Made when first used: a child logger costs some microseconds, and below level info a plain request uses none.
    let log: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', { get: () => (log ??= logger.child({ requestId: id })), enumerable: true, configurable: true });
    // Read now: once a request is cut short, its socket is gone and so is the address.
    const ip = ctx.ip;
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // oidc-provider names its routes; Plaza's routers set _matchedRoute; anything else is grouped.
      const route = (ctx as { oidc?: { route?: string } }).oidc?.route ?? (ctx as { _matchedRoute?: string })._matchedRoute ?? 'other';
      requests.inc({ method: ctx.method, route: String(route), status: String(ctx.status) });
      duration.observe({ method: ctx.method, route: String(route) }, seconds);
      if (logger.isLevelEnabled('info')) ctx.state.log.info({ method: ctx.method, path: ctx.path, ip, status: ctx.status, ms: Math.round(seconds * 1000), route }, 'request');
    }
  };
}
