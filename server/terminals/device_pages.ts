// "My devices": each terminal a user's tokens are bound to, by name (browser, system, model), per app, with a button
// that revokes everything bound to it. Pages that bind a key for one visit (the H5 page) are not devices.
import Router from '@koa/router';
import { csrfToken, formBody, HttpError, seeOther, tr, verifyCsrf, type Views } from '../http/index.ts';
import type { BrowserSession } from '../oidc/index.ts';
import { deviceName } from './device_names.ts';
import type { Terminals } from './terminals.ts';

export interface DevicePageDeps {
  session: BrowserSession;
  views: Views;
  terminals: Terminals;
  /** Clients whose keys live for one page visit, not on a device. */
  pageClients: ReadonlySet<string>;
  revokeTerminal(id: string): Promise<void>;
}

export function devicePages(deps: DevicePageDeps): Router {
  const { session, views, terminals } = deps;
  const router = new Router({ prefix: '/account/devices' });
  router.use(formBody());

  router.get('/', async (ctx) => {
    const account = await session.require(ctx);
    if (!account) return;
    const t = tr(ctx);
    const list = (await terminals.listFor(account.id)).filter((d) => !deps.pageClients.has(d.clientId)).map((d) => ({
      id: d.id, app: d.appName, key: d.jkt.slice(0, 10), name: deviceName(d.userAgent, t), firstSeen: d.firstSeen, lastUsed: d.lastUsed,
    }));
    views.page(ctx, 'devices', { title: t('devices.title'), terminals: list, csrf: csrfToken(ctx), revoked: ctx.query.revoked === '1' });
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
