// The signed-in user's own pages. Signing in to them is an ordinary authorization request by Plaza's
// first-party account client, so the OP session is the only session there is.
import { createHash, randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import { csrfToken, formBody, HttpError, seeOther, verifyCsrf, type Views } from '../http/index.ts';
import type { Store } from '../store/index.ts';
import type { Accounts } from './accounts.ts';
import { modelCollection, revokeGrant } from './adapter.ts';
import { describeScope } from './scopes.ts';

export const ACCOUNT_CLIENT_ID = 'plaza-account';

export function accountClient(issuer: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Plaza account',
    token_endpoint_auth_method: 'none',
    redirect_uris: [`${issuer}/account/callback`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  };
}

export interface AccountPageDeps {
  issuer: string;
  provider: Provider;
  store: Store;
  accounts: Accounts;
  views: Views;
}

/** Only paths under /account may be returned to after sign-in. */
function safeReturn(value: unknown): string {
  return typeof value === 'string' && /^\/account(\/[A-Za-z0-9/_-]*)?$/.test(value) ? value : '/account/apps';
}

interface GrantPayload {
  clientId?: string;
  accountId?: string;
  iat?: number;
  openid?: { scope?: string };
  resources?: Record<string, string>;
}

export function accountRoutes(deps: AccountPageDeps): Router {
  const { provider, store, accounts, views, issuer } = deps;
  const grants = modelCollection(store, 'Grant');
  const router = new Router({ prefix: '/account' });
  router.use(formBody());

  function signIn(ctx: Context, returnTo: string): void {
    // The code is never redeemed: signing in only needs the OP session. PKCE is still required of every client.
    const challenge = createHash('sha256').update(randomBytes(32)).digest('base64url');
    const url = new URL('/auth', issuer);
    url.search = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID, response_type: 'code', scope: 'openid', redirect_uri: `${issuer}/account/callback`,
      code_challenge: challenge, code_challenge_method: 'S256', state: returnTo,
    }).toString();
    ctx.redirect(url.href);
  }

  /** The signed-in account, or undefined after redirecting the browser to sign in. */
  async function signedIn(ctx: Context) {
    const session = await provider.Session.get(ctx as never);
    const account = session.accountId ? await accounts.find(session.accountId) : undefined;
    if (!account) signIn(ctx, safeReturn(ctx.path));
    return account;
  }

  router.get('/', (ctx) => ctx.redirect('/account/apps'));
  router.get('/login', (ctx) => signIn(ctx, safeReturn(ctx.query.return)));
  router.get('/callback', (ctx) => ctx.redirect(safeReturn(ctx.query.state)));

  router.get('/apps', async (ctx) => {
    const account = await signedIn(ctx);
    if (!account) return;
    const docs = await grants.find({ accountId: account.id });
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
        access: [...new Set(scopes)].map(describeScope),
        since: grant.iat ? new Date(grant.iat * 1000).toISOString().slice(0, 10) : '',
      });
    }
    views.page(ctx, 'apps', { title: 'My apps', user: account.name, apps, csrf: csrfToken(ctx), revoked: ctx.query.revoked === '1' });
  });

  router.post('/apps/:grantId/revoke', async (ctx) => {
    verifyCsrf(ctx);
    const account = await signedIn(ctx);
    if (!account) return;
    const doc = await grants.get(ctx.params.grantId);
    if (!doc || (doc.payload as GrantPayload).accountId !== account.id) throw new HttpError(404, 'No such app access on your account.');
    await revokeGrant(store, doc.id);
    seeOther(ctx, '/account/apps?revoked=1');
  });

  return router;
}
