// "My devices": each terminal a user's tokens are bound to, per app, with a button that revokes everything
// bound to it.
import Router from '@koa/router';
import { csrfToken, formBody, HttpError, seeOther, verifyCsrf, type Views } from '../http/index.ts';
import type { BrowserSession } from '../oidc/index.ts';
import type { Terminals } from './terminals.ts';

export interface DevicePageDeps {
  session: BrowserSession;
  views: Views;
  terminals: Terminals;
  revokeTerminal(id: string): Promise<void>;
}

export function devicePages(deps: DevicePageDeps): Router {
  const { session, views, terminals } = deps;
  const router = new Router({ prefix: '/account/devices' });
  router.use(formBody());

  router.get('/', async (ctx) => {
    const account = await session.require(ctx);
    if (!account) return;
    const list = (await terminals.listFor(account.id)).map((t) => ({
      id: t.id, app: t.appName, userAgent: t.userAgent, key: `${t.jkt.slice(0, 10)}…`,
      firstSeen: new Date(t.firstSeen).toISOString().replace('T', ' ').slice(0, 16),
      lastUsed: new Date(t.lastUsed).toISOString().replace('T', ' ').slice(0, 16),
    }));
    views.page(ctx, 'devices', { title: 'My devices', terminals: list, csrf: csrfToken(ctx), revoked: ctx.query.revoked === '1' });
  });

  router.post('/:id/revoke', async (ctx) => {
    verifyCsrf(ctx);
    const account = await session.require(ctx);
    if (!account) return;
    const terminal = await terminals.get(ctx.params.id);
    if (terminal?.sub !== account.id) throw new HttpError(404, 'No such device on your account.');
    await deps.revokeTerminal(terminal.id);
    seeOther(ctx, '/account/devices?revoked=1');
  });

  return router;
}
