// A JSON API under one path prefix: problem documents for every error, JSON bodies, its own 404 and 405.
// Nothing under the prefix falls through to oidc-provider.
import { bodyParser } from '@koa/bodyparser';
import type Router from '@koa/router';
import compose from 'koa-compose';
import type { Middleware } from 'koa';
import { HttpError, problemJson, type Report } from './errors.ts';

const notFound: Middleware = async (ctx, next) => {
  await next();
  if (ctx.status === 404 && ctx.body === undefined) throw new HttpError(404, 'no such endpoint');
};

/** The routers answer a method a path does not have with 405 (501 for one they never route) and `Allow`: a problem document. */
const notAllowed: Middleware = async (ctx, next) => {
  await next();
  if ((ctx.status === 405 || ctx.status === 501) && ctx.body === undefined) {
    throw new HttpError(405, 'this method is not allowed here', { headers: { Allow: ctx.response.get('Allow') } });
  }
};

export function jsonApi(prefix: string, routers: Router[], report: Report, before: Middleware[] = []): Middleware {
  const chain = compose<never>([
    problemJson(report),
    ...before,
    notFound,
    bodyParser({ enableTypes: ['json'], jsonLimit: '1mb', encoding: 'utf-8' }),
    notAllowed,
    ...routers.flatMap((router) => [router.routes(), router.allowedMethods()]),
  ] as never[]) as Middleware;
  return (ctx, next) => (ctx.path === prefix || ctx.path.startsWith(`${prefix}/`) ? chain(ctx, async () => {}) : next());
}

/** The request body as a JSON object, or a 400. */
export function jsonBody(ctx: { request: { body?: unknown } }): Record<string, unknown> {
  const value = ctx.request.body;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}
