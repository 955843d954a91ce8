// "Linked accounts": a signed-in user links a host identity (by a login code or identity token from the host)
// to their Plaza account, and sees and unlinks the ones linked.
import Router from '@koa/router';
import type { Context } from 'koa';
import { csrfToken, formBody, formText, HttpError, seeOther, verifyCsrf, type Views } from '../http/index.ts';
import type { BrowserSession } from '../oidc/index.ts';
import type { AuditLog } from '../social/index.ts';
import { HostLoginError, type HostIdentity } from './host_login.ts';
import type { ExternalIdentities } from './identities.ts';
import type { HostPlatform, HostPlatforms } from './platforms.ts';

export interface IdentityPageDeps {
  session: BrowserSession;
  views: Views;
  platforms: HostPlatforms;
  identities: ExternalIdentities;
  audit: AuditLog;
  identify(host: HostPlatform, token: string): Promise<HostIdentity>;
}

const field = (ctx: Context, name: string) => formText(ctx, name).trim();

export function identityPages(deps: IdentityPageDeps): Router {
  const { session, views, platforms, identities, audit } = deps;
  const router = new Router({ prefix: '/account/identities' });
  router.use(formBody());

  router.get('/', async (ctx) => {
    const account = await session.require(ctx);
    if (!account) return;
    views.page(ctx, 'identities', {
      title: 'Linked accounts', csrf: csrfToken(ctx), linked: ctx.query.linked === '1',
      identities: (await identities.listFor(account.id)).map((i) => ({ host: i.hostId, subject: i.subject, since: new Date(i.linkedAt).toISOString().slice(0, 10) })),
      hosts: await platforms.list(),
    });
  });

  router.post('/link', async (ctx) => {
    verifyCsrf(ctx);
    const account = await session.require(ctx);
    if (!account) return;
    const host = await platforms.get(field(ctx, 'host'));
    if (!host) throw new HttpError(400, 'Choose one of the listed platforms.');
    const token = field(ctx, 'token');
    if (!token || token.length > 8192) throw new HttpError(400, 'Paste the login code or identity token the platform gave you.');
    let identity: HostIdentity;
    try {
      identity = await deps.identify(host, token);
    } catch (err) {
      if (err instanceof HostLoginError) throw new HttpError(err.code === 'unavailable' ? 503 : 400, err.message);
      throw err;
    }
    await identities.link(host, identity, account.id);
    await audit.record({ sub: account.id, via: null, action: 'identity.linked', detail: host.id });
    seeOther(ctx, '/account/identities?linked=1');
  });

  router.post('/unlink', async (ctx) => {
    verifyCsrf(ctx);
    const account = await session.require(ctx);
    if (!account) return;
    if (!await identities.unlink(account.id, field(ctx, 'host'), field(ctx, 'subject'))) throw new HttpError(404, 'No such linked account.');
    await audit.record({ sub: account.id, via: null, action: 'identity.unlinked', detail: field(ctx, 'host') });
    seeOther(ctx, '/account/identities');
  });

  return router;
}
