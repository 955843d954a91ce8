// Per-client rate limit on the token endpoint, shared through the store by every Plaza process. A request counts
// only once it is known that the client authenticated (a token, or an error oidc-provider raises only after client
// authentication), so naming a client is not enough to use up its allowance. A public client cannot authenticate:
// it is counted per client and address. The limit may be overshot by the requests in flight, and by what other
// processes counted since this one last synced (TOKEN_RATE_SYNC_MS). Wrong client credentials are throttled here
// too (ClientAuthThrottle), whether or not the rate limit is on.
import type { Context, Middleware } from 'koa';
import { IncompleteBody } from '../http/index.ts';
import { secondsLeft, SharedCounters, type Store } from '../store/index.ts';
import type { ClientAuthThrottle } from './client_auth_throttle.ts';
import { isTokenRequest, namedClient } from './token_request.ts';

export interface TokenRateConfig {
  /** Requests per window per client; 0 turns the limit off. */
  limit: number;
  windowSeconds: number;
  /** How often a process shares its counts through the store, at most, ms. */
  syncMs: number;
}

/** Token endpoint errors that oidc-provider raises only after the client authenticated. */
const AFTER_AUTHENTICATION = new Set([
  'invalid_grant', 'invalid_scope', 'invalid_target', 'unauthorized_client', 'unsupported_grant_type', 'invalid_dpop_proof', 'use_dpop_nonce',
]);

/** Counter ids: a confidential client's own, and a public client's per address. */
const counterIds = (clientId: string, ip: string) => ({ client: `client:${clientId}`, address: `public:${clientId}:${ip}` });

function authenticatedClient(ctx: Context): { clientId: string; public: boolean } | undefined {
  const client = (ctx.oidc as { client?: { clientId: string; clientAuthMethod: string } } | undefined)?.client;
  if (!client) return undefined;
  const error = (ctx.body as { error?: unknown } | undefined)?.error;
  const authenticated = ctx.status < 400 || (typeof error === 'string' && AFTER_AUTHENTICATION.has(error));
  return authenticated ? { clientId: client.clientId, public: client.clientAuthMethod === 'none' } : undefined;
}

/** A 429 that tells the client to come back later: RFC 6749 has no error code for it, and the client did nothing wrong yet. */
function tooMany(ctx: Context, wait: number, why: string): void {
  ctx.status = 429;
  ctx.set('Retry-After', String(wait));
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'temporarily_unavailable', error_description: `${why}; retry after ${wait} s` };
}

const failedAuthentication = (ctx: Context) => ctx.status === 401 && (ctx.body as { error?: unknown } | undefined)?.error === 'invalid_client';

/** The shared counters of token requests, by `client:<id>` and `ip:<address>`. */
export const TOKEN_REQUESTS = 'token_requests';

export function tokenRateLimit(store: Store, tokenPath: string, config: TokenRateConfig, authFailures: ClientAuthThrottle, report: (err: unknown) => void): Middleware {
  const counters = new SharedCounters(store, TOKEN_REQUESTS, { windowSeconds: config.windowSeconds, syncMs: config.syncMs });
  return async (ctx, next) => {
    if (!isTokenRequest(ctx, tokenPath)) return next();
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
    let authWait = 0;
    let over: { expiresAt: number } | undefined;
    try {
      if (named !== undefined) authWait = await authFailures.wait(named, ctx.ip);
      for (const id of named === undefined || config.limit === 0 ? [] : Object.values(counterIds(named, ctx.ip))) {
        const count = await counters.count(id);
        if (count.count >= config.limit) over = count;
      }
    } catch (err) {
      report(err);
    }
    if (authWait) return tooMany(ctx, authWait, 'too many failed client authentications from this address');
    if (over) return tooMany(ctx, secondsLeft(over), 'too many token requests from this client');
    await next();
    try {
      if (named !== undefined && failedAuthentication(ctx)) await authFailures.failed(named, ctx.ip);
      const client = config.limit === 0 ? undefined : authenticatedClient(ctx);
      if (!client) return;
      const ids = counterIds(client.clientId, ctx.ip);
      await counters.add(client.public ? ids.address : ids.client);
    } catch (err) {
      report(err);
    }
  };
}
