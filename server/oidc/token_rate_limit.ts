// Per-client rate limit on the token endpoint, shared through the store by every Plaza process. A request counts
// only once it is known that the client authenticated (a token, or an error oidc-provider raises only after client
// authentication), so naming a client is not enough to use up its allowance. A public client cannot authenticate:
// it is counted per client and address. The limit may be overshot by the requests in flight, and by what other
// processes counted since this one last synced (TOKEN_RATE_SYNC_MS).
import { decodeJwt } from 'jose';
import type { Context, Middleware } from 'koa';
import { IncompleteBody, peekBody } from '../http/index.ts';
import { secondsLeft, SharedCounters, type Store } from '../store/index.ts';

export interface TokenRateConfig {
  /** Requests per window per client; 0 turns the limit off. */
  limit: number;
  windowSeconds: number;
  /** How often a process shares its counts through the store, at most, ms. */
  syncMs: number;
}

/** oidc-provider's own cap on a token request body. */
const BODY_LIMIT = 56 * 1024;

/** Token endpoint errors that oidc-provider raises only after the client authenticated. */
const AFTER_AUTHENTICATION = new Set([
  'invalid_grant', 'invalid_scope', 'invalid_target', 'unauthorized_client', 'unsupported_grant_type', 'invalid_dpop_proof', 'use_dpop_nonce',
]);

/** How oidc-provider's router matches a path: ASCII letters in any case, and one trailing slash. */
function isPath(path: string, route: string): boolean {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const fold = (p: string) => p.replace(/[a-z]/g, (c) => c.toUpperCase());
  return fold(trimmed) === fold(route);
}

function basicClientId(authorization: string | undefined): string | undefined {
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The client a token request names: Basic credentials, `client_id`, or the subject of a client assertion. */
async function namedClient(ctx: Context): Promise<string | undefined> {
  const basic = basicClientId(ctx.get('authorization'));
  if (basic) return basic;
  if (!ctx.is('application/x-www-form-urlencoded')) return undefined;
  const body = await peekBody(ctx.req, BODY_LIMIT);
  if (!body) return undefined;
  const params = new URLSearchParams(body.toString('utf8'));
  const clientId = params.get('client_id');
  if (clientId) return clientId;
  try {
    const sub = decodeJwt(params.get('client_assertion') ?? '').sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** Counter ids: a confidential client's own, and a public client's per address. */
const counterIds = (clientId: string, ip: string) => ({ client: `client:${clientId}`, address: `public:${clientId}:${ip}` });

function authenticatedClient(ctx: Context): { clientId: string; public: boolean } | undefined {
  const client = (ctx.oidc as { client?: { clientId: string; clientAuthMethod: string } } | undefined)?.client;
  if (!client) return undefined;
  const error = (ctx.body as { error?: unknown } | undefined)?.error;
  const authenticated = ctx.status < 400 || (typeof error === 'string' && AFTER_AUTHENTICATION.has(error));
  return authenticated ? { clientId: client.clientId, public: client.clientAuthMethod === 'none' } : undefined;
}

export function tokenRateLimit(store: Store, tokenPath: string, config: TokenRateConfig, report: (err: unknown) => void): Middleware {
  const counters = new SharedCounters(store, 'token_requests', { windowSeconds: config.windowSeconds, syncMs: config.syncMs });
  return async (ctx, next) => {
    if (config.limit === 0 || ctx.method !== 'POST' || !isPath(ctx.path, tokenPath)) return next();
    let named: string | undefined;
    try {
      named = await namedClient(ctx);
    } catch (err) {
      if (!(err instanceof IncompleteBody)) throw err;
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: 'the request body ended early' };
      return;
    }
    // The counters fail open: a store that cannot count must not turn a token the client got into an error.
    let over: { expiresAt: number } | undefined;
    try {
      for (const id of named === undefined ? [] : Object.values(counterIds(named, ctx.ip))) {
        const count = await counters.count(id);
        if (count.count >= config.limit) over = count;
      }
    } catch (err) {
      report(err);
    }
    if (over) {
      const wait = secondsLeft(over);
      ctx.status = 429;
      ctx.set('Retry-After', String(wait));
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { error: 'temporarily_unavailable', error_description: `too many token requests from this client; retry after ${wait} s` };
      return;
    }
    await next();
    const client = authenticatedClient(ctx);
    if (!client) return;
    const ids = counterIds(client.clientId, ctx.ip);
    try {
      await counters.add(client.public ? ids.address : ids.client);
    } catch (err) {
      report(err);
    }
  };
}
