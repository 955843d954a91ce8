// What Plaza's limits in front of oidc-provider need to know of a token request, before oidc-provider reads it.
import { decodeJwt } from 'jose';
import type { Context } from 'koa';
import { peekBody } from '../http/index.ts';

/** oidc-provider's own cap on a token request body. */
const BODY_LIMIT = 56 * 1024;

/** How oidc-provider's router matches a path: ASCII letters in any case, and one trailing slash. */
function isPath(path: string, route: string): boolean {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  // Folding costs microseconds, and almost every path is either the route as written or of another length.
  if (trimmed === route) return true;
  if (trimmed.length !== route.length) return false;
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
export async function namedClient(ctx: Context): Promise<string | undefined> {
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

/** A POST to the token endpoint, however its path is spelled. */
export function isTokenRequest(ctx: Context, tokenPath: string): boolean {
  return ctx.method === 'POST' && isPath(ctx.path, tokenPath);
}
