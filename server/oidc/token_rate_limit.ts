// Per-client rate limit on the token endpoint, counted in the store across every Plaza process. Only requests
// that passed client authentication count, so nobody can use up another client's allowance by naming it.
import type { IncomingMessage } from 'node:http';
import { decodeJwt } from 'jose';
import type { Middleware } from 'koa';
import { secondsLeft, WindowCounters, type Store } from '../store/index.ts';

export interface TokenRateConfig {
  /** Requests per window per client; 0 turns the limit off. */
  limit: number;
  windowSeconds: number;
}

/** oidc-provider's own cap on a token request body. */
const BODY_LIMIT = 56 * 1024;

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

/** The client stopped sending before the length it declared. */
class IncompleteBody extends Error {
  override name = 'IncompleteBody';
}

/**
 * Reads a form body and puts it back into the request stream, untouched, for oidc-provider to parse. It stops at
 * the declared length without reading the end of the stream, because a stream cannot take data back after that.
 */
function peekBody(req: IncomingMessage, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      req.off('readable', onReadable);
      req.off('end', onEnd);
      req.off('error', onEnd);
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while (received < length && (chunk = req.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        received += chunk.length;
      }
      if (received < length) return;
      stop();
      const body = Buffer.concat(chunks, received);
      req.unshift(body);
      resolve(body);
    };
    const onEnd = () => {
      stop();
      reject(new IncompleteBody());
    };
    req.on('readable', onReadable);
    req.once('end', onEnd);
    req.once('error', onEnd);
  });
}

/** The client a token request names: Basic credentials, `client_id`, or the subject of a client assertion. */
async function namedClient(ctx: Parameters<Middleware>[0]): Promise<string | undefined> {
  const basic = basicClientId(ctx.get('authorization'));
  if (basic) return basic;
  const length = ctx.request.length;
  if (!ctx.is('application/x-www-form-urlencoded') || !length || length > BODY_LIMIT) return undefined;
  const body = await peekBody(ctx.req, length);
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

export function tokenRateLimit(store: Store, tokenPath: string, config: TokenRateConfig): Middleware {
  const counters = new WindowCounters(store, 'token_requests', config.windowSeconds);
  return async (ctx, next) => {
    if (config.limit === 0 || ctx.method !== 'POST' || ctx.path !== tokenPath) return next();
    let named: string | undefined;
    try {
      named = await namedClient(ctx);
    } catch (err) {
      if (!(err instanceof IncompleteBody)) throw err;
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: 'the request body is shorter than its Content-Length' };
      return;
    }
    const count = named === undefined ? undefined : await counters.get(named);
    if (count && count.count >= config.limit) {
      const wait = secondsLeft(count);
      ctx.status = 429;
      ctx.set('Retry-After', String(wait));
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { error: 'temporarily_unavailable', error_description: `too many token requests from this client; retry after ${wait} s` };
      return;
    }
    await next();
    const authenticated = (ctx.oidc as { client?: { clientId: string } } | undefined)?.client?.clientId;
    if (authenticated && ctx.status !== 401) await counters.add(authenticated, 1, authenticated === named ? count : undefined);
  };
}
