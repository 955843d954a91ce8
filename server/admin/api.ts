// The admin HTTP API: the CLI's operations over HTTP, for a client-credentials token with the `admin` scope.
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { HttpError, InputError, jsonApi, jsonBody, type Report } from '../http/index.ts';
import { ADMIN_SCOPE, checkTokenBinding, InsufficientScopeError, presentedToken, type Oidc } from '../oidc/index.ts';
import type { PlazaConfig } from '../config/index.ts';
import type { AdminOperations } from './operations.ts';

export interface AdminApiDeps {
  config: Pick<PlazaConfig, 'issuer'>;
  oidc: Pick<Oidc, 'verifyAccessToken' | 'resources' | 'checkTokenLive' | 'dpop'>;
  admin: AdminOperations;
  report: Report;
}

function requireAdminToken({ config, oidc }: AdminApiDeps): Middleware {
  return async (ctx, next) => {
    const authorization = ctx.get('authorization') || undefined;
    const presented = presentedToken(authorization);
    const claims = await oidc.verifyAccessToken(presented.token, oidc.resources.admin);
    if (!claims.scope?.split(' ').includes(ADMIN_SCOPE)) throw new InsufficientScopeError(ADMIN_SCOPE);
    await oidc.checkTokenLive(claims);
    await checkTokenBinding(oidc.dpop, presented, claims, { authorization, dpop: ctx.headers.dpop, method: ctx.method, url: `${config.issuer}${ctx.path}` });
    ctx.state.adminClient = claims.client_id;
    await next();
  };
}

export function adminApi(deps: AdminApiDeps): Middleware {
  const { admin } = deps;
  const router = new Router({ prefix: '/admin/api' });

  router.get('/users', async (ctx) => { ctx.body = await admin.listUsers(); });
  router.post('/users', async (ctx) => {
    const b = jsonBody(ctx);
    ctx.status = 201;
    ctx.body = await admin.createUser({ username: b.username, password: b.password, name: b.name, email: b.email });
  });
  router.get('/clients', async (ctx) => { ctx.body = await admin.listClients(); });
  router.post('/clients', async (ctx) => {
    ctx.status = 201;
    ctx.body = await admin.createClient(jsonBody(ctx));
  });
  router.delete('/clients/:clientId', async (ctx) => {
    if (!await admin.removeClient(ctx.params.clientId)) throw new HttpError(404, 'no such client');
    ctx.status = 204;
  });
  router.get('/apps', async (ctx) => { ctx.body = await admin.listApps(); });
  for (const [action, change] of [['suspend', (id: string) => admin.suspendClient(id, true)], ['unsuspend', (id: string) => admin.suspendClient(id, false)],
    ['verify', (id: string) => admin.verifyClient(id, true)], ['unverify', (id: string) => admin.verifyClient(id, false)]] as const) {
    router.post(`/clients/:clientId/${action}`, async (ctx) => {
      if (!await change(ctx.params.clientId)) throw new HttpError(404, 'no such client');
      ctx.status = 204;
    });
  }
  router.post('/initial-access-tokens', async (ctx) => {
    const owner = ctx.request.body === undefined ? undefined : jsonBody(ctx).owner;
    if (owner !== undefined && typeof owner !== 'string') throw new InputError('owner must be a username');
    ctx.status = 201;
    ctx.body = await admin.createInitialAccessToken(owner);
  });
  router.post('/clients/:clientId/callback/enable', async (ctx) => {
    ctx.body = { client_id: ctx.params.clientId, was_disabled: await admin.enableCallback(ctx.params.clientId) };
  });
  router.get('/groups', async (ctx) => { ctx.body = await admin.listGroups(); });
  router.post('/groups', async (ctx) => {
    ctx.status = 201;
    ctx.body = await admin.upsertGroup(jsonBody(ctx));
  });
  router.delete('/groups/:id/members/:username', async (ctx) => {
    if (!await admin.removeMember(ctx.params.id, ctx.params.username)) throw new HttpError(404, 'no such member');
    ctx.status = 204;
  });
  router.get('/users/:username/terminals', async (ctx) => {
    const terminals = await admin.terminalsOf(ctx.params.username);
    if (!terminals) throw new HttpError(404, 'no such user');
    ctx.body = terminals;
  });
  router.delete('/terminals/:id', async (ctx) => {
    if (!await admin.revokeTerminal(ctx.params.id)) throw new HttpError(404, 'no such terminal');
    ctx.status = 204;
  });
  router.get('/hosts', async (ctx) => { ctx.body = await admin.listHosts(); });
  router.post('/hosts', async (ctx) => {
    ctx.status = 201;
    ctx.body = await admin.addHost(jsonBody(ctx));
  });
  router.post('/keys/rotate', async (ctx) => { ctx.body = await admin.rotateKeys(); });
  router.post('/seed', async (ctx) => { ctx.body = await admin.seed(jsonBody(ctx)); });

  return jsonApi('/admin/api', [router], deps.report, [requireAdminToken(deps)]);
}
