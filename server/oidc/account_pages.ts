// The signed-in user's own pages: My apps.
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import { csrfToken, formBody, HttpError, seeOther, verifyCsrf, type Views } from '../http/index.ts';
import type { Store } from '../store/index.ts';
import { modelCollection } from './adapter.ts';
import { describeScope } from './scopes.ts';
import { ACCOUNT_CLIENT_ID, safeReturn, type BrowserSession } from './session.ts';

export interface AccountPageDeps {
  provider: Provider;
  store: Store;
  session: BrowserSession;
  views: Views;
  revokeGrant(grantId: string): Promise<void>;
  /** Words for grants a capability created, by grant id (e.g. "Post messages in Weekend Hiking"). */
  describeGrants: (grantIds: string[]) => Promise<Map<string, string[]>>;
}

interface GrantPayload {
  clientId?: string;
  accountId?: string;
  iat?: number;
  openid?: { scope?: string };
  resources?: Record<string, string>;
}

export function accountRoutes(deps: AccountPageDeps): Router {
  const { provider, store, session, views } = deps;
  const grants = modelCollection(store, 'Grant');
  const router = new Router({ prefix: '/account' });
  router.use(formBody());

  router.get('/', (ctx) => ctx.redirect('/account/apps'));
  router.get('/login', (ctx) => session.signIn(ctx, safeReturn(ctx.query.return)));
  router.get('/callback', (ctx) => ctx.redirect(safeReturn(ctx.query.state)));

  router.get('/apps', async (ctx) => {
    const account = await session.require(ctx);
    if (!account) return;
    const docs = await grants.find({ accountId: account.id });
    const described = await deps.describeGrants(docs.map((d) => d.id));
    const apps = [];
    for (const doc of docs) {
      const grant = doc.payload as GrantPayload;
      if (!grant.clientId || grant.clientId === ACCOUNT_CLIENT_ID) continue;
      const client = await provider.Client.find(grant.clientId);
      const scopes = [grant.openid?.scope, ...Object.values(grant.resources ?? {})].join(' ').split(' ').filter((s) => s && s !== 'openid');
      apps.push({
        grantId: doc.id,
        client: client?.clientName ?? grant.clientId,
        clientId: grant.clientId,
        access: [...[...new Set(scopes)].map(describeScope), ...described.get(doc.id) ?? []],
        since: grant.iat ? new Date(grant.iat * 1000).toISOString().slice(0, 10) : '',
      });
    }
    views.page(ctx, 'apps', { title: 'My apps', user: account.name, apps, csrf: csrfToken(ctx), revoked: ctx.query.revoked === '1' });
  });

  router.post('/apps/:grantId/revoke', async (ctx) => {
    verifyCsrf(ctx);
    const account = await session.require(ctx);
    if (!account) return;
    const doc = await grants.get(ctx.params.grantId);
    if (!doc || (doc.payload as GrantPayload).accountId !== account.id) throw new HttpError(404, 'No such app access on your account.');
    await deps.revokeGrant(doc.id);
    seeOther(ctx, '/account/apps?revoked=1');
  });

  return router;
}
