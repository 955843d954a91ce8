// Login and consent: the pages oidc-provider sends the browser to, and the form posts that finish each prompt.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { csrfToken, formBody, formText, seeOther, verifyCsrf, type Views } from '../http/index.ts';
import type { Accounts } from './accounts.ts';
import type { LoginThrottle } from './login_throttle.ts';
import { PASSWORD_ACR } from './claims.ts';
import { describeClaim, describeScope } from './scopes.ts';

export interface InteractionDeps {
  provider: Provider;
  accounts: Accounts;
  throttle: LoginThrottle;
  views: Views;
  /** Plaza's own clients: the user is not asked to consent to them. */
  firstPartyClients: ReadonlySet<string>;
  /** Who is behind the app asking, shown before the user decides. */
  publisherOf(clientId: string): Promise<{ developer?: string; website?: string; verified: boolean }>;
}

interface ConsentDetails {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

export function interactionRoutes(deps: InteractionDeps): Router {
  const { provider, accounts, throttle, views } = deps;
  const router = new Router({ prefix: '/interaction/:uid' });
  router.use(formBody());

  async function clientName(clientId: unknown): Promise<string> {
    const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
    return client?.clientName ?? String(clientId);
  }

  async function renderLogin(ctx: Context, uid: string, clientId: unknown, extra: { error?: string; username?: string; status?: number } = {}) {
    views.page(ctx, 'login', {
      title: 'Sign in',
      uid,
      client: await clientName(clientId),
      csrf: csrfToken(ctx),
      username: extra.username ?? '',
      error: extra.error,
    }, extra.status);
  }

  async function grantConsent(ctx: Context, details: ConsentDetails, accountId: string, clientId: string, grantId?: string) {
    const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId, clientId });
    if (!grant) throw new Error('grant vanished during consent');
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const saved = await grant.save();
    const result: InteractionResults = { consent: grantId ? {} : { grantId: saved } };
    return provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  }

  router.get('/', async (ctx) => {
    const { uid, prompt, params, session, grantId } = await provider.interactionDetails(ctx.req, ctx.res);
    if (prompt.name === 'login') return renderLogin(ctx, uid, params.client_id);
    const clientId = String(params.client_id);
    if (deps.firstPartyClients.has(clientId) && session?.accountId) {
      seeOther(ctx, await grantConsent(ctx, prompt.details as ConsentDetails, session.accountId, clientId, grantId));
      return;
    }
    const details = prompt.details as ConsentDetails;
    const scopes = [...new Set([...(details.missingOIDCScope ?? []), ...Object.values(details.missingResourceScopes ?? {}).flat()])];
    const account = session?.accountId ? await accounts.find(session.accountId) : undefined;
    views.page(ctx, 'consent', {
      title: 'Allow access',
      uid,
      client: await clientName(clientId),
      publisher: await deps.publisherOf(clientId),
      user: account?.name ?? '',
      scopes: scopes.filter((s) => s !== 'openid').map((s) => ({ scope: s, text: describeScope(s) })),
      claims: (details.missingOIDCClaims ?? []).map(describeClaim),
      csrf: csrfToken(ctx),
    });
  });

  router.post('/login', async (ctx) => {
    verifyCsrf(ctx);
    const { uid, prompt, params } = await provider.interactionDetails(ctx.req, ctx.res);
    if (prompt.name !== 'login') return seeOther(ctx, `/interaction/${uid}`);
    const username = formText(ctx, 'username');
    const ip = ctx.ip;
    const wait = await throttle.attempt(username, ip);
    if (wait > 0) {
      ctx.set('Retry-After', String(wait));
      return renderLogin(ctx, uid, params.client_id, { username, status: 429, error: `Too many failed attempts. Try again in ${Math.ceil(wait / 60)} minute(s).` });
    }
    const account = await accounts.authenticate(username, formText(ctx, 'password'));
    if (!account) return renderLogin(ctx, uid, params.client_id, { username, status: 401, error: 'Wrong username or password.' });
    await throttle.succeeded(username, ip);
    const result: InteractionResults = { login: { accountId: account.id, amr: ['pwd'], acr: PASSWORD_ACR } };
    seeOther(ctx, await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
  });

  router.post('/confirm', async (ctx) => {
    verifyCsrf(ctx);
    const { prompt, params, session, grantId, uid } = await provider.interactionDetails(ctx.req, ctx.res);
    if (prompt.name !== 'consent' || !session?.accountId) return seeOther(ctx, `/interaction/${uid}`);
    seeOther(ctx, await grantConsent(ctx, prompt.details as ConsentDetails, session.accountId, String(params.client_id), grantId));
  });

  router.post('/abort', async (ctx) => {
    verifyCsrf(ctx);
    const result: InteractionResults = { error: 'access_denied', error_description: 'End-User aborted interaction' };
    seeOther(ctx, await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
  });

  return router;
}
