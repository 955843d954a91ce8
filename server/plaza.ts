// The composition root: opens the store, builds each capability, and hands them to the HTTP assembly.
import type { AddressInfo } from 'node:net';
import type { Server, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import Koa, { type Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { PlazaConfig } from './config/index.ts';
import { openStore, SecretBox, startSweeper, type Store } from './store/index.ts';
import { createHosts } from './hosts/index.ts';
import { createOidc, type Oidc } from './oidc/index.ts';
import { AdminOperations, adminApi, adminApiDescription } from './admin/index.ts';
import { AuditLog, GrantCheck, Groups, Messages, socialApiDescription, socialApiRoutes, socialPages } from './social/index.ts';
import { createActions, GRANTABLE_ACTIONS, type GroupActions } from './actions/index.ts';
import { createBinding, h5Client } from './binding/index.ts';
import { createAsync, type AsyncCapability } from './async/index.ts';
import {
  assembleApp, createLogger, createMetrics, jsonApi, metricsEndpoint, openApiDocument, openApiRoutes, requestLog, siteRoutes, staticFiles, Views, type Metrics, type Report,
} from './http/index.ts';
import type { DestinationStream, Logger } from 'pino';
import { Gauge } from 'prom-client';

const VIEWS_DIR = fileURLToPath(new URL('../views', import.meta.url));

export interface Plaza {
  config: PlazaConfig;
  store: Store;
  oidc: Oidc;
  admin: AdminOperations;
  actions: GroupActions;
  async: AsyncCapability;
  app: Provider;
  logger: Logger;
  metrics: Metrics;
  close(): Promise<void>;
}

export interface RunningPlaza extends Plaza {
  url: string;
  server: Server;
  /** Where /metrics is served when METRICS_PORT is set. */
  metricsUrl?: string;
}

/** /healthz: the process answers. /readyz: the store answers and the keys are loaded. /metrics, unless it has a port of its own. */
function health(store: Store, metrics: Middleware | undefined): Middleware {
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

export interface PlazaOptions {
  /** Where unexpected errors go; by default the log. */
  report?: Report;
  /** An already open store; by default the engine the config names is opened. */
  store?: Store;
  /** Where log lines go; by default stdout. */
  logDestination?: DestinationStream;
}

/** Builds Plaza without listening: the admin CLI uses the same objects as the server. */
export async function createPlaza(config: PlazaConfig, options: PlazaOptions = {}): Promise<Plaza> {
  const logger = createLogger(config.logLevel, options.logDestination);
  const metrics = createMetrics();
  const report: Report = options.report ?? ((err, ctx) => (ctx?.state?.log ?? logger).error({ err }, 'unexpected error'));
  const store = options.store ?? await openStore(config);
  const views = new Views(VIEWS_DIR, config.production);
  const box = SecretBox.open(config.dataDir, config.secretKey);
  const oidc = await createOidc({ config, store, views, box, staticClients: [h5Client()], report: (err) => report(err, undefined as never) });
  const groups = new Groups(store);
  const messages = new Messages(store);
  const audit = new AuditLog(store);
  const check = new GrantCheck({
    verifyToken: (token) => oidc.verifyAccessToken(token, oidc.resources.api),
    grantExists: oidc.grantExists,
    isMember: (groupId, sub) => groups.isMember(groupId, sub),
    dpop: oidc.dpop,
    cacheMs: config.grantCacheMs,
  });
  oidc.onGrantRevoked((grantId) => check.forget(grantId));
  const reportError = (err: unknown) => report(err, undefined as never);
  const async = createAsync({ config, store, oidc, check, groups, messages, audit, report: reportError, observeDelivery: (outcome) => metrics.deliveries.inc({ outcome }) });
  oidc.provider.on('grant.success', (ctx) => metrics.tokensIssued.inc({ grant_type: String(ctx.oidc.params?.grant_type ?? 'unknown') }));
  new Gauge({ name: 'plaza_jobs_queued', help: 'Jobs waiting for a worker', registers: [metrics.registry], async collect() { this.set(await async.jobs.queued()); } });
  const actions = createActions({ config, store, oidc, groups, audit, callbacks: async.callbacks });
  groups.onMemberLeaving((groupId, sub) => actions.memberLeaving(groupId, sub));
  const hosts = createHosts({ config, store, oidc, audit, views, box });
  const binding = createBinding({ config, store, oidc, views, report: reportError });
  const admin = new AdminOperations({ store, box, oidc, groups, hosts: hosts.platforms, terminals: binding.terminals, callbacks: async.deliveries });
  const social = { accounts: oidc.accounts, groups, messages, audit, groupApps: actions };
  const openApi = openApiDocument(config.issuer, [socialApiDescription({ grantableActions: GRANTABLE_ACTIONS }), async.description, adminApiDescription]);
  const app = assembleApp(oidc.provider, {
    views, report,
    hsts: config.issuer.startsWith('https:'),
    trustProxy: config.trustProxy,
    health: health(store, config.metricsPort === undefined ? metricsEndpoint(metrics, config.metricsToken) : undefined),
    limits: [oidc.tokenRateLimit],
    requestLog: requestLog(logger, metrics),
    assets: staticFiles(VIEWS_DIR),
    apis: [
      adminApi({ oidc, admin, report }),
      jsonApi('/api', [openApiRoutes(openApi), async.router, socialApiRoutes({ ...social, issuer: config.issuer, check })], report),
    ],
    pages: [
      siteRoutes(views, { issuer: config.issuer, demo: !config.production }),
      ...oidc.routers,
      socialPages({ ...social, session: oidc.session, views, clients: oidc.clients, grantableActions: GRANTABLE_ACTIONS }),
      hosts.pages,
      ...binding.pages,
    ],
    observers: [binding.observer, ...oidc.observers],
  });
  // Production creates indexes with `admin db migrate`; development and tests do it here.
  if (!config.production) await store.migrate();
  return { config, store, oidc, admin, actions, async, app, logger, metrics, close: () => store.close() };
}

function listening(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
}

/** /metrics alone, on a loopback port of its own, where only the machine's own scrapers reach it. */
async function listenForMetrics(metrics: Metrics, config: PlazaConfig): Promise<Server> {
  const server = new Koa().use(metricsEndpoint(metrics, config.metricsToken)).listen(config.metricsPort, '127.0.0.1');
  await listening(server);
  return server;
}

export async function startPlaza(config: PlazaConfig, options: PlazaOptions = {}): Promise<RunningPlaza> {
  const plaza = await createPlaza(config, options);
  const report = options.report ?? ((err: unknown) => plaza.logger.error({ err }, 'sweep failed'));
  const stopSweeper = startSweeper(plaza.store, config.sweepIntervalSeconds * 1000, (err) => report(err, undefined as never));
  const server = plaza.app.listen(config.port, config.host);
  // Slow clients (slowloris) get a bounded time for their headers and their whole request.
  server.headersTimeout = config.headersTimeoutMs;
  server.requestTimeout = config.requestTimeoutMs;
  await listening(server);
  const { port } = server.address() as AddressInfo;
  const metricsServer = config.metricsPort === undefined ? undefined : await listenForMetrics(plaza.metrics, config);
  let closing = false;
  const answering = new Set<ServerResponse>();
  // Once shutdown began, a keep-alive connection is closed after the answer it is giving, not kept for more.
  const closeAfter = (res: ServerResponse) => { if (!res.headersSent) res.setHeader('Connection', 'close'); };
  server.on('request', (_req, res: ServerResponse) => {
    if (closing) closeAfter(res);
    answering.add(res);
    res.once('close', () => { answering.delete(res); if (closing) server.closeIdleConnections(); });
  });
  const worker = config.runWorker ? plaza.async.newWorker() : undefined;
  worker?.start();
  return {
    ...plaza,
    server,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    metricsUrl: metricsServer && `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`,
    async close() {
      stopSweeper();
      metricsServer?.close();
      closing = true;
      answering.forEach(closeAfter);
      // Stop accepting, let requests under way finish (bounded by the grace period), close idle connections.
      const closed = new Promise<void>((resolve) => { server.close(() => resolve()); });
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), config.shutdownGraceMs);
      await closed;
      clearTimeout(grace);
      await worker?.stop();
      await plaza.close();
    },
  };
}
