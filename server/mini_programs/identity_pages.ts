// "Linked accounts": a signed-in user links their account on a host platform ("your WeChat account") to their Plaza
// account, and sees and unlinks the ones linked. The link code comes from the host app; the page never asks about tokens.
import Router from '@koa/router';
import type { Context } from 'koa';
import { csrfToken, formBody, formText, HttpError, isMessageKey, seeOther, tr, verifyCsrf, type Translate, type Views } from '../http/index.ts';
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

/** The platform's name as its users know it ("WeChat", "微信"), else the name it was registered under. */
export function platformName(host: Pick<HostPlatform, 'id' | 'platform'> | undefined, hostId: string, t: Translate): string {
  const key = `platform.${host?.platform ?? hostId}`;
  return isMessageKey(key) ? t(key) : host?.platform ?? hostId;
}

export function identityPages(deps: IdentityPageDeps): Router {
  const { session, views, platforms, identities, audit } = deps;
  const router = new Router({ prefix: '/account/identities' });
  router.use(formBody());

  router.get('/', async (ctx) => {
    const account = await session.require(ctx);
    if (!account) return;
    const t = tr(ctx);
    const hosts = await platforms.list();
    views.page(ctx, 'identities', {
      title: t('identities.title'), csrf: csrfToken(ctx), linked: ctx.query.linked === '1',
      identities: (await identities.listFor(account.id)).map((i) => ({
        host: i.hostId, subject: i.subject, since: i.linkedAt, name: platformName(hosts.find((h) => h.id === i.hostId), i.hostId, t),
      })),
      hosts: hosts.map((h) => ({ id: h.id, name: platformName(h, h.id, t) })),
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
