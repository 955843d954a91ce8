// The admin HTTP API: the CLI's operations over HTTP, for a client-credentials token with the `admin` scope.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import compose from 'koa-compose';
import type { Middleware } from 'koa';
import { problemJson, HttpError, type Report } from '../http/index.ts';
import { ADMIN_SCOPE, bearerToken, InsufficientScopeError, type Oidc } from '../oidc/index.ts';
import type { AdminOperations } from './operations.ts';

function requireAdminToken(oidc: Oidc): Middleware {
  return async (ctx, next) => {
    const claims = await oidc.verifyAccessToken(bearerToken(ctx.get('authorization') || undefined), oidc.resources.admin);
    if (!claims.scope?.split(' ').includes(ADMIN_SCOPE)) throw new InsufficientScopeError(ADMIN_SCOPE);
    ctx.state.adminClient = claims.client_id;
    await next();
  };
}

function body(ctx: { request: { body?: unknown } }): Record<string, unknown> {
  const value = ctx.request.body;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}

const PREFIX = '/admin/api';

const notFound: Middleware = async (ctx, next) => {
  await next();
  if (ctx.status === 404 && ctx.body === undefined) throw new HttpError(404, 'no such admin endpoint');
};

export function adminApi(deps: { oidc: Oidc; admin: AdminOperations; report: Report }): Middleware {
  const { admin } = deps;
  const router = new Router({ prefix: PREFIX });

  router.get('/users', async (ctx) => { ctx.body = await admin.listUsers(); });
  router.post('/users', async (ctx) => {
    const b = body(ctx);
    ctx.status = 201;
    ctx.body = await admin.createUser({ username: b.username, password: b.password, name: b.name });
  });
  router.get('/clients', async (ctx) => { ctx.body = await admin.listClients(); });
  router.post('/clients', async (ctx) => {
    ctx.status = 201;
    ctx.body = await admin.createClient(body(ctx));
  });
  router.delete('/clients/:clientId', async (ctx) => {
    if (!await admin.removeClient(ctx.params.clientId)) throw new HttpError(404, 'no such client');
    ctx.status = 204;
  });
  router.get('/groups', async (ctx) => { ctx.body = await admin.listGroups(); });
  router.post('/groups', async (ctx) => {
    const b = body(ctx);
    ctx.status = 201;
    ctx.body = await admin.upsertGroup({ id: b.id, name: b.name, members: b.members });
  });
  router.post('/keys/rotate', async (ctx) => { ctx.body = await admin.rotateKeys(); });
  router.post('/seed', async (ctx) => { ctx.body = await admin.seed(body(ctx) as never); });

  const chain: Middleware = compose<never>([
    problemJson(deps.report),
    requireAdminToken(deps.oidc),
    notFound,
    bodyParser({ enableTypes: ['json'], jsonLimit: '1mb', encoding: 'utf-8' }),
    router.routes(),
    router.allowedMethods({ throw: true }),
  ] as never[]) as Middleware;
  // The admin API ends here: nothing under its prefix falls through to oidc-provider.
  return (ctx, next) => (ctx.path === PREFIX || ctx.path.startsWith(`${PREFIX}/`) ? chain(ctx, async () => {}) : next());
}
