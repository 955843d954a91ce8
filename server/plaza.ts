// The composition root: opens the store, builds the OP and each capability, plugs the capabilities in, and hands
// everything to the HTTP assembly.
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type Provider from 'oidc-provider';
import type { DestinationStream, Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { PlazaConfig } from './config/index.ts';
import { openStore, SecretBox, startSweeper, type Store } from './store/index.ts';
import {
  assembleApp, createLogger, createMetrics, health, jsonApi, metricsEndpoint, openApiDocument, openApiRoutes, requestLog, serve, siteRoutes, staticFiles, Views,
  type Metrics, type Report,
} from './http/index.ts';
import { createOidc, type Capability, type Oidc } from './oidc/index.ts';
import { createSocial } from './social/index.ts';
import { createAsync, type AsyncCapability } from './async/index.ts';
import { checkTriggers, createActionGrants, describeAction, GRANTABLE_ACTIONS, TRIGGERS_FIELD, TRIGGERS_SCHEMA, type GroupActions } from './action_grants/index.ts';
import { createMiniPrograms } from './mini_programs/index.ts';
import { createTerminals } from './terminals/index.ts';
import { createHandoff, h5Client } from './handoff/index.ts';
import { createAdmin, type AdminOperations } from './admin/index.ts';
import { createDevelopers } from './developers/index.ts';
import { createDemoBot } from './demo_bot/index.ts';

const VIEWS_DIR = fileURLToPath(new URL('../views', import.meta.url));
/** `npm run seed:demo` loads it; the demo bot takes its registration from it. */
const DEMO_SEED = fileURLToPath(new URL('../scripts/demo-seed.json', import.meta.url));

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
  const views = new Views(VIEWS_DIR, config.production, { signupOffered: config.signup === 'open' });
  const box = SecretBox.open(config.dataDir, config.secretKey);
  const oidc = await createOidc({ config, store, views, box, staticClients: [h5Client()], clientMetadata: { [TRIGGERS_FIELD]: { schema: TRIGGERS_SCHEMA, check: checkTriggers } }, report });
  const social = createSocial({ config, store, oidc, views });
  const { groups, messages, audit, check } = social;
  const async = createAsync({ config, store, oidc, check, groups, messages, audit, report, observeDelivery: (outcome) => metrics.deliveries.inc({ outcome }) });
  const actions = createActionGrants({ config, store, oidc, groups, messages, audit, callbacks: async.callbacks });
  groups.onMemberLeaving((groupId, sub) => actions.groupActions.memberLeaving(groupId, sub));
  messages.onPosted((message) => actions.interactions.messagePosted(message));
  const miniPrograms = createMiniPrograms({ config, store, oidc, audit, views, box });
  const terminals = createTerminals({ store, oidc, views, report, pageClients: new Set([h5Client().client_id]) });
  const handoff = createHandoff({ config, store, oidc, views });
  const developers = createDevelopers({ config, store, box, oidc, deliveries: async.deliveries, views });
  const admin = createAdmin({ config, store, box, oidc, groups, hosts: miniPrograms.platforms, terminals: terminals.terminals, callbacks: async.deliveries, report });

  // What Plaza is: the OP, and these capabilities plugged into it. Their order is the order of their routes.
  const capabilities: Capability[] = [social.withGroupApps(actions.userActions, GRANTABLE_ACTIONS, describeAction), async, actions, miniPrograms, terminals, handoff, developers, admin];
  if (config.demoBot) capabilities.push(createDemoBot({ issuer: config.issuer, seedFile: DEMO_SEED, report }));
  for (const capability of capabilities) {
    for (const [type, handler] of Object.entries(capability.exchanges ?? {})) oidc.tokenExchange.register(type, handler);
    if (capability.tokenClaims) oidc.addTokenClaims(capability.tokenClaims);
    if (capability.grantDescriber) oidc.addGrantDescriber(capability.grantDescriber);
    if (capability.appDescriber) oidc.addAppDescriber(capability.appDescriber);
    if (capability.grantRevoked) oidc.onGrantRevoked(capability.grantRevoked);
    if (capability.accountEvents) oidc.onAccountEvent(capability.accountEvents);
  }
  const openApi = openApiDocument(config.issuer, capabilities.flatMap((c) => c.openapi ?? []));
  const app = assembleApp(oidc.provider, {
    views, report,
    hsts: config.issuer.startsWith('https:'),
    trustProxy: config.trustProxy,
    health: health(store, config.metricsPort === undefined ? metricsEndpoint(metrics, config.metricsToken) : undefined),
    limits: [oidc.tokenRateLimit],
    requestLog: requestLog(logger, metrics),
    assets: staticFiles(VIEWS_DIR),
    apis: [
      ...capabilities.flatMap((c) => c.separateApi ?? []),
      jsonApi('/api', [openApiRoutes(openApi), ...capabilities.flatMap((c) => c.api ?? [])], report),
    ],
    pages: [siteRoutes(views, { issuer: config.issuer, demo: !config.production, viewer: (ctx) => oidc.session.current(ctx) }), ...oidc.routers, ...capabilities.flatMap((c) => c.pages ?? [])],
    observers: [...capabilities.flatMap((c) => c.observers ?? []), ...oidc.observers],
  });
  oidc.provider.on('grant.success', (ctx) => metrics.tokensIssued.inc({ grant_type: String(ctx.oidc.params?.grant_type ?? 'unknown') }));
  new Gauge({ name: 'plaza_jobs_queued', help: 'Jobs waiting for a worker', registers: [metrics.registry], async collect() { this.set(await async.jobs.queued()); } });
  // Production creates indexes with `admin db migrate`; development and tests do it here.
  if (!config.production) await store.migrate();
  return { config, store, oidc, admin: admin.operations, actions: actions.groupActions, async, app, logger, metrics, close: () => store.close() };
}

export async function startPlaza(config: PlazaConfig, options: PlazaOptions = {}): Promise<RunningPlaza> {
  const plaza = await createPlaza(config, options);
  const report = options.report ?? ((err: unknown) => plaza.logger.error({ err }, 'sweep failed'));
  const stopSweeper = startSweeper(plaza.store, config.sweepIntervalSeconds * 1000, report);
  const serving = await serve(plaza.app, {
    port: config.port, host: config.host,
    headersTimeoutMs: config.headersTimeoutMs, requestTimeoutMs: config.requestTimeoutMs, shutdownGraceMs: config.shutdownGraceMs,
    metrics: config.metricsPort === undefined ? undefined : { port: config.metricsPort, endpoint: metricsEndpoint(plaza.metrics, config.metricsToken) },
  });
  const worker = config.runWorker ? plaza.async.newWorker() : undefined;
  worker?.start();
  return {
    ...plaza,
    server: serving.server,
    url: serving.url,
    metricsUrl: serving.metricsUrl,
    async close() {
      stopSweeper();
      await serving.close();
      await worker?.stop();
      await plaza.close();
    },
  };
}
