// Login, sign-up and consent: the pages oidc-provider sends the browser to, and the form posts that finish each prompt.
// Every page speaks the language the authorization request asked for (`ui_locales`), else the user's or the browser's.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import type { SignupMode } from '../config/index.ts';
import { csrfToken, formBody, formText, type MessageKey, seeOther, tr, verifyCsrf, type Views } from '../http/index.ts';
import { checkSignup, fieldMessage, PASSWORD_LENGTH, type Account, type Accounts } from './accounts.ts';
import type { AccountEvents } from './account_events.ts';
import type { Invitations } from './invitations.ts';
import type { LoginThrottle } from './login_throttle.ts';
import { PASSWORD_ACR } from './claims.ts';
import { describeClaim, describeScope } from './scopes.ts';
import { ACCOUNT_CLIENT_ID } from './session.ts';

export interface InteractionDeps {
  provider: Provider;
  accounts: Accounts;
  throttle: LoginThrottle;
  views: Views;
  /** Plaza's own clients: the user is not asked to consent to them. */
  firstPartyClients: ReadonlySet<string>;
  /** Who is behind the app asking, shown before the user decides. */
  publisherOf(clientId: string): Promise<{ developer?: string; website?: string; verified: boolean }>;
  signup: SignupMode;
  invitations: Invitations;
  events: AccountEvents;
}

interface ConsentDetails {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/** Set by /account/signup: the next sign-in page shows the sign-up form instead (with the invitation, if any). */
export const SIGNUP_COOKIE = 'plaza.signup';

interface FormState { error?: MessageKey; errorParams?: Record<string, string | number>; username?: string; name?: string; invite?: string; status?: number }

export function interactionRoutes(deps: InteractionDeps): Router {
  const { provider, accounts, throttle, views } = deps;
  const router = new Router({ prefix: '/interaction/:uid' });
  router.use(formBody());

  async function clientName(clientId: unknown): Promise<string> {
    const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
    return client?.clientName ?? String(clientId);
  }

  /** The interaction, with the page's language taken from its authorization request. */
  async function details(ctx: Context) {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    ctx.state.uiLocales = interaction.params.ui_locales;
    return interaction;
  }

  async function renderLogin(ctx: Context, uid: string, clientId: unknown, extra: FormState = {}) {
    const t = tr(ctx);
    views.page(ctx, 'login', {
      title: t('login.title'),
      uid,
      client: clientId === ACCOUNT_CLIENT_ID ? '' : await clientName(clientId),
      csrf: csrfToken(ctx),
      username: extra.username ?? '',
      error: extra.error && t(extra.error, extra.errorParams),
      signup: deps.signup !== 'closed',
    }, extra.status);
  }

  function renderSignup(ctx: Context, uid: string, extra: FormState = {}) {
    const t = tr(ctx);
    views.page(ctx, 'signup', {
      title: t('signup.title'), uid, csrf: csrfToken(ctx), mode: deps.signup, passwordMin: PASSWORD_LENGTH.min,
      username: extra.username ?? '', name: extra.name ?? '', invite: extra.invite ?? '', error: extra.error && t(extra.error),
    }, extra.status ?? (deps.signup === 'closed' ? 403 : 200));
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

  async function signedIn(ctx: Context, account: Account) {
    const result: InteractionResults = { login: { accountId: account.id, amr: ['pwd'], acr: PASSWORD_ACR } };
    seeOther(ctx, await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
  }

  router.get('/', async (ctx) => {
    const { uid, prompt, params, session, grantId } = await details(ctx);
    if (prompt.name === 'login') {
      const signup = ctx.cookies.get(SIGNUP_COOKIE, { signed: true });
      if (signup === undefined) return renderLogin(ctx, uid, params.client_id);
      ctx.cookies.set(SIGNUP_COOKIE, null, { signed: true });
      return renderSignup(ctx, uid, { invite: signup === '1' ? '' : signup });
    }
    const clientId = String(params.client_id);
    if (deps.firstPartyClients.has(clientId) && session?.accountId) {
      seeOther(ctx, await grantConsent(ctx, prompt.details as ConsentDetails, session.accountId, clientId, grantId));
      return;
    }
    const t = tr(ctx);
    const consent = prompt.details as ConsentDetails;
    const scopes = [...new Set([...(consent.missingOIDCScope ?? []), ...Object.values(consent.missingResourceScopes ?? {}).flat()])];
    const account = session?.accountId ? await accounts.find(session.accountId) : undefined;
    views.page(ctx, 'consent', {
      title: t('consent.title'),
      uid,
      client: await clientName(clientId),
      publisher: await deps.publisherOf(clientId),
      user: account?.name ?? '',
      scopes: scopes.filter((s) => s !== 'openid').map((s) => ({ scope: s, text: describeScope(s, t) })),
      claims: (consent.missingOIDCClaims ?? []).map((c) => describeClaim(c, t)),
      csrf: csrfToken(ctx),
    });
  });

  router.get('/signup', async (ctx) => {
    const { uid, prompt } = await details(ctx);
    if (prompt.name !== 'login') return seeOther(ctx, `/interaction/${uid}`);
    renderSignup(ctx, uid);
  });

  router.post('/login', async (ctx) => {
    verifyCsrf(ctx);
    const { uid, prompt, params } = await details(ctx);
    if (prompt.name !== 'login') return seeOther(ctx, `/interaction/${uid}`);
    const username = formText(ctx, 'username');
    const ip = ctx.ip;
    const wait = await throttle.attempt(username, ip);
    if (wait > 0) {
      ctx.set('Retry-After', String(wait));
      return renderLogin(ctx, uid, params.client_id, { username, status: 429, error: 'login.throttled', errorParams: { minutes: Math.ceil(wait / 60) } });
    }
    const account = await accounts.authenticate(username, formText(ctx, 'password'));
    if (!account) return renderLogin(ctx, uid, params.client_id, { username, status: 401, error: 'login.wrong' });
    await throttle.succeeded(username, ip);
    await signedIn(ctx, account);
  });

  // Sign-up hashes like sign-in and counts against the same throttle, so it is no faster way to probe or to flood.
  router.post('/signup', async (ctx) => {
    verifyCsrf(ctx);
    const { uid, prompt } = await details(ctx);
    if (prompt.name !== 'login') return seeOther(ctx, `/interaction/${uid}`);
    if (deps.signup === 'closed') return renderSignup(ctx, uid);
    const form = { username: formText(ctx, 'username').trim(), name: formText(ctx, 'name').trim(), invite: formText(ctx, 'invite').trim() };
    const password = formText(ctx, 'password');
    const wait = await throttle.attempt(form.username, ctx.ip);
    if (wait > 0) {
      ctx.set('Retry-After', String(wait));
      return renderSignup(ctx, uid, { ...form, status: 429, error: 'error.what.too_many' });
    }
    let input: ReturnType<typeof checkSignup>;
    try {
      input = checkSignup({ username: form.username.toLowerCase(), password, name: form.name });
    } catch (err) {
      const error = fieldMessage(err);
      if (!error) throw err;
      return renderSignup(ctx, uid, { ...form, status: 400, error });
    }
    if (await accounts.findByUsername(input.username)) return renderSignup(ctx, uid, { ...form, status: 409, error: 'signup.taken' });
    if (deps.signup === 'invite' && !await deps.invitations.redeem(form.invite)) return renderSignup(ctx, uid, { ...form, status: 403, error: 'signup.bad_invite' });
    const account = await accounts.register(input);
    if (!account) return renderSignup(ctx, uid, { ...form, status: 409, error: 'signup.taken' });
    await deps.events.emit({ type: 'account.created', sub: account.id });
    await signedIn(ctx, account);
  });

  router.post('/confirm', async (ctx) => {
    verifyCsrf(ctx);
    const { prompt, params, session, grantId, uid } = await details(ctx);
    if (prompt.name !== 'consent' || !session?.accountId) return seeOther(ctx, `/interaction/${uid}`);
    const clientId = String(params.client_id);
    const next = await grantConsent(ctx, prompt.details as ConsentDetails, session.accountId, clientId, grantId);
    if (!deps.firstPartyClients.has(clientId)) await deps.events.emit({ type: 'consent.given', sub: session.accountId, clientId });
    seeOther(ctx, next);
  });

  router.post('/abort', async (ctx) => {
    verifyCsrf(ctx);
    const result: InteractionResults = { error: 'access_denied', error_description: 'End-User aborted interaction' };
    seeOther(ctx, await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
  });

  return router;
}
