// Environment parsing. Every variable read here is listed in .env.example and the README's config table.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseSchedule } from './schedule.ts';
import { parseTrustProxy, type TrustProxy } from '../http/index.ts';

export interface TtlConfig {
  accessToken: number;
  refreshToken: number;
  authorizationCode: number;
  interaction: number;
  session: number;
  grant: number;
}

export interface PlazaConfig {
  production: boolean;
  issuer: string;
  port: number;
  host: string;
  /** Which reverse proxies' X-Forwarded-Proto, -Host and -For Plaza believes. */
  trustProxy: TrustProxy;
  dataDir: string;
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** Selects the MongoDB engine instead of the embedded SQLite one. */
  mongodbUri: string | undefined;
  mongodbPoolSize: number;
  mongodbTimeoutMs: number;
  cookieKeys: string[] | undefined;
  ttl: TtlConfig;
  sweepIntervalSeconds: number;
  loginThrottle: { maxFailures: number; windowSeconds: number };
  /** Token requests per window per client (0: no limit). */
  tokenRate: { limit: number; windowSeconds: number; syncMs: number };
  /** Lets clients register http callback URIs on loopback addresses (development and tests only). */
  allowInsecureCallbacks: boolean;
  /** Serves the demo bot's callback (development only; its callback is on this machine). */
  demoBot: boolean;
  actionTicketTtl: number;
  /** An interaction's ticket, its token's lifetime (seconds) and how many requests that token may make. */
  interactionTicketTtl: number;
  interactionTokenTtl: number;
  interactionMaxUses: number;
  /** Lifetime of an RFC 7591 initial access token, seconds. */
  initialAccessTokenTtl: number;
  /** Who may create an account at /account/signup: anyone, nobody, or people holding a member's invitation. */
  signup: SignupMode;
  /** How long the API may trust that a grant still exists before asking the store again, ms. Other processes see a revocation only after this. */
  grantCacheMs: number;
  dpopIatWindow: number;
  dpopRequireNonce: boolean;
  viewTokenTtl: number;
  handoffCodeTtl: number;
  webhookTimeoutMs: number;
  /** The delays before each delivery of a callback, ms: the first attempt, then each retry. */
  callbackRetrySchedule: number[];
  /** How many HTTP processes `npm start` serves from (one port, one store); 1 serves from the started process itself. */
  processes: number;
  /** Whether `npm start` runs a worker in each server process too. */
  runWorker: boolean;
  /** How many workers `npm run worker` runs in its process. */
  workers: number;
  workerPollMs: number;
  jobLeaseMs: number;
  /** The least time between two fetches of one host's JWKS, even for an unknown kid, ms. */
  hostJwksCooldownMs: number;
  logLevel: string;
  /** Slow clients: the time allowed for a request's headers, and for the whole request. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** On SIGTERM, how long requests under way may take to finish before their connections are cut, ms. */
  shutdownGraceMs: number;
  /** Encrypts secrets at rest; generated into DATA_DIR/secret.key when unset. */
  secretKey: string | undefined;
  /** When set, /metrics answers only a request with this Bearer token. */
  metricsToken: string | undefined;
  /** When set, /metrics is served on this loopback port only, not on PORT (0: any free port). */
  metricsPort: number | undefined;
}

export { parseSchedule, ScheduleError } from './schedule.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new ConfigError(`${name} must be a whole number >= ${min}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function flag(env: Env, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(`${name} must be 1 or 0, got ${JSON.stringify(raw)}`);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevel(level: string): string {
  if (!LOG_LEVELS.includes(level)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

function schedule(text: string): number[] {
  try {
    return parseSchedule(text);
  } catch (err) {
    throw new ConfigError(`CALLBACK_RETRY_SCHEDULE: ${(err as Error).message}`);
  }
}

function processes(env: Env): number {
  const count = integer(env, 'PLAZA_PROCESSES', availableParallelism(), 1);
  if (count > 64) throw new ConfigError('PLAZA_PROCESSES must be at most 64');
  return count;
}

function workers(env: Env): number {
  const count = integer(env, 'WORKERS', 1, 1);
  if (count > 32) throw new ConfigError('WORKERS must be at most 32');
  return count;
}

function trustProxy(env: Env): TrustProxy {
  try {
    return parseTrustProxy(env.TRUST_PROXY || '0');
  } catch (err) {
    throw new ConfigError(`TRUST_PROXY must be 0 (off), a number of proxy hops, or a comma-separated list of proxy addresses and CIDR ranges: ${(err as Error).message}`);
  }
}

function metricsToken(env: Env): string | undefined {
  const token = env.METRICS_TOKEN || undefined;
  if (token !== undefined && !/^[\x21-\x7e]{16,}$/.test(token)) throw new ConfigError('METRICS_TOKEN must be at least 16 printable characters without spaces');
  return token;
}

function metricsPort(env: Env, port: number): number | undefined {
  if (!env.METRICS_PORT) return undefined;
  const metrics = integer(env, 'METRICS_PORT', 0);
  if (metrics !== 0 && metrics === port) throw new ConfigError('METRICS_PORT must differ from PORT');
  return metrics;
}

function issuerFrom(env: Env, port: number): string {
  const issuer = env.ISSUER || `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError(`ISSUER must be an absolute URL, got ${JSON.stringify(issuer)}`);
  }
  if (url.search || url.hash || !/^https?:$/.test(url.protocol)) {
    throw new ConfigError('ISSUER must be an http(s) URL without query or fragment');
  }
  return issuer.replace(/\/$/, '');
}

/** `npm start` and the admin CLI read a `.env` file in the working directory when there is one. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

/** Production refuses settings that are only safe on a developer's machine. */
function refuseInsecureProduction(config: PlazaConfig): PlazaConfig {
  if (!config.production) return config;
  const issuer = new URL(config.issuer);
  if (issuer.protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname)) {
    throw new ConfigError('NODE_ENV=production needs an https ISSUER');
  }
  // Plaza itself speaks http: only a trusted TLS proxy can tell it that a request came over https.
  if (issuer.protocol === 'https:' && 'hops' in config.trustProxy && config.trustProxy.hops === 0) {
    throw new ConfigError('NODE_ENV=production with an https ISSUER needs TRUST_PROXY (the TLS proxy in front of Plaza)');
  }
  if (!config.secretKey) throw new ConfigError('NODE_ENV=production needs PLAZA_SECRET_KEY (32 bytes, hex or base64)');
  if (config.allowInsecureCallbacks) throw new ConfigError('NODE_ENV=production refuses ALLOW_INSECURE_CALLBACKS=1');
  if (config.demoBot) throw new ConfigError('NODE_ENV=production refuses DEMO_BOT=1');
  return config;
}

export const SIGNUP_MODES = ['open', 'closed', 'invite'] as const;
export type SignupMode = (typeof SIGNUP_MODES)[number];

/** Open by default in development, closed by default in production. */
function signupMode(env: Env): SignupMode {
  const value = env.SIGNUP || (env.NODE_ENV === 'production' ? 'closed' : 'open');
  if (!(SIGNUP_MODES as readonly string[]).includes(value)) throw new ConfigError('SIGNUP must be open, closed or invite');
  return value as SignupMode;
}

export function loadConfig(env: Env = process.env): PlazaConfig {
  const config = refuseInsecureProduction(readConfig(env));
  // The demo bot is registered with an http callback on this machine, which only these settings let Plaza call.
  if (config.demoBot && !config.allowInsecureCallbacks) throw new ConfigError('DEMO_BOT=1 needs ALLOW_INSECURE_CALLBACKS=1 (the demo bot\'s callback is http on this machine)');
  return config;
}

function readConfig(env: Env): PlazaConfig {
  const port = integer(env, 'PORT', 3000);
  const synchronous = (env.SQLITE_SYNCHRONOUS || 'NORMAL').toUpperCase();
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') throw new ConfigError('SQLITE_SYNCHRONOUS must be NORMAL or FULL');
  const cookieKeys = env.COOKIE_KEYS ? env.COOKIE_KEYS.split(',').map((k) => k.trim()).filter(Boolean) : undefined;
  if (cookieKeys?.some((k) => k.length < 32)) throw new ConfigError('each COOKIE_KEYS entry must be at least 32 characters');
  return {
    production: env.NODE_ENV === 'production',
    issuer: issuerFrom(env, port),
    port,
    host: env.HOST || '127.0.0.1',
    trustProxy: trustProxy(env),
    dataDir: resolve(env.DATA_DIR || './data'),
    sqliteSynchronous: synchronous,
    mongodbUri: env.MONGODB_URI || undefined,
    mongodbPoolSize: integer(env, 'MONGODB_POOL_SIZE', 20, 1),
    mongodbTimeoutMs: integer(env, 'MONGODB_TIMEOUT_MS', 5000, 100),
    cookieKeys,
    ttl: {
      accessToken: integer(env, 'ACCESS_TOKEN_TTL', 3600, 1),
      refreshToken: integer(env, 'REFRESH_TOKEN_TTL', 14 * 24 * 3600, 1),
      authorizationCode: integer(env, 'AUTHORIZATION_CODE_TTL', 60, 1),
      interaction: integer(env, 'INTERACTION_TTL', 3600, 1),
      session: integer(env, 'SESSION_TTL', 14 * 24 * 3600, 1),
      grant: integer(env, 'GRANT_TTL', 365 * 24 * 3600, 1),
    },
    sweepIntervalSeconds: integer(env, 'SWEEP_INTERVAL', 60, 1),
    loginThrottle: {
      maxFailures: integer(env, 'LOGIN_MAX_FAILURES', 5, 1),
      windowSeconds: integer(env, 'LOGIN_WINDOW', 900, 1),
    },
    tokenRate: {
      limit: integer(env, 'TOKEN_RATE_LIMIT', 600),
      windowSeconds: integer(env, 'TOKEN_RATE_WINDOW', 60, 1),
      syncMs: integer(env, 'TOKEN_RATE_SYNC_MS', 100),
    },
    allowInsecureCallbacks: flag(env, 'ALLOW_INSECURE_CALLBACKS'),
    demoBot: flag(env, 'DEMO_BOT'),
    actionTicketTtl: integer(env, 'ACTION_TICKET_TTL', 300, 1),
    interactionTicketTtl: integer(env, 'INTERACTION_TICKET_TTL', 300, 1),
    interactionTokenTtl: integer(env, 'INTERACTION_TOKEN_TTL', 900, 1),
    interactionMaxUses: integer(env, 'INTERACTION_MAX_USES', 5, 1),
    initialAccessTokenTtl: integer(env, 'INITIAL_ACCESS_TOKEN_TTL', 24 * 3600, 60),
    signup: signupMode(env),
    grantCacheMs: integer(env, 'GRANT_CACHE_MS', 0),
    dpopIatWindow: integer(env, 'DPOP_IAT_WINDOW', 60, 1),
    dpopRequireNonce: flag(env, 'DPOP_REQUIRE_NONCE'),
    viewTokenTtl: integer(env, 'VIEW_TOKEN_TTL', 300, 1),
    handoffCodeTtl: integer(env, 'HANDOFF_CODE_TTL', 60, 1),
    webhookTimeoutMs: integer(env, 'WEBHOOK_TIMEOUT_MS', 5000, 100),
    hostJwksCooldownMs: integer(env, 'HOST_JWKS_COOLDOWN_MS', 30_000),
    callbackRetrySchedule: schedule(env.CALLBACK_RETRY_SCHEDULE || '0s,5s,5m,30m,2h,5h,10h,10h'),
    processes: processes(env),
    runWorker: env.RUN_WORKER === undefined || env.RUN_WORKER === '' ? true : flag(env, 'RUN_WORKER'),
    workers: workers(env),
    workerPollMs: integer(env, 'WORKER_POLL_MS', 100, 1),
    jobLeaseMs: integer(env, 'JOB_LEASE_MS', 30_000, 100),
    secretKey: env.PLAZA_SECRET_KEY || undefined,
    metricsToken: metricsToken(env),
    metricsPort: metricsPort(env, port),
    logLevel: logLevel(env.LOG_LEVEL || 'info'),
    headersTimeoutMs: integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 100),
    requestTimeoutMs: integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 100),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000),
  };
}
