// The signed-in user's own pages: My apps (one entry per app), profile, password, language, and the way in to sign-up.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { SignupMode } from '../config/index.ts';
import {
  csrfToken, formBody, formText, HttpError, LANGUAGE_COOKIE, matchLocale, seeOther, tr, verifyCsrf, type Translate, type Views,
} from '../http/index.ts';
import type { Store } from '../store/index.ts';
import { fieldMessage, PASSWORD_LENGTH, type Accounts } from './accounts.ts';
import type { AccountEvents } from './account_events.ts';
import type { AppDescriber } from './capability.ts';
import { modelCollection } from './adapter.ts';
import { SIGNUP_COOKIE } from './interactions.ts';
import type { Invitations } from './invitations.ts';
import type { LoginThrottle } from './login_throttle.ts';
import { describeScope } from './scopes.ts';
import { ACCOUNT_CLIENT_ID, safeReturn, type BrowserSession } from './session.ts';

export interface AccountPageDeps {
  provider: Provider;
  store: Store;
  accounts: Accounts;
  session: BrowserSession;
  views: Views;
  throttle: LoginThrottle;
  signup: SignupMode;
  invitations: Invitations;
  events: AccountEvents;
  revokeGrant(grantId: string): Promise<void>;
  /** Words for grants a capability created, by grant id (e.g. "Post messages in Weekend Hiking as you"). */
  describeGrants: (grantIds: string[], t: Translate) => Promise<Map<string, string[]>>;
  /** Each app's devices, H5 page visits and last act, from the capabilities that know them. */
  describeApps: AppDescriber;
}

interface GrantPayload {
  clientId?: string;
  accountId?: string;
  iat?: number;
  openid?: { scope?: string };
  resources?: Record<string, string>;
}

/** A path on this site to go back to after switching language: never another origin. */
function samePath(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s\\]*$/.test(value) && value.length < 512 ? value : '/';
}

export function accountRoutes(deps: AccountPageDeps): Router {
  const { provider, store, session, views, accounts } = deps;
  const grants = modelCollection(store, 'Grant');
  const sessions = modelCollection(store, 'Session');
  const router = new Router({ prefix: '/account' });
  router.use(formBody());

  router.get('/', (ctx) => ctx.redirect('/account/apps'));
  router.get('/login', (ctx) => session.signIn(ctx, safeReturn(ctx.query.return)));
  router.get('/callback', (ctx) => ctx.redirect(safeReturn(ctx.query.state)));

  // Sign-up is a sign-in whose page shows the sign-up form: the new account leaves it signed in, like any other.
  router.get('/signup', (ctx) => {
    const invite = typeof ctx.query.invite === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(ctx.query.invite) ? ctx.query.invite : '1';
    ctx.cookies.set(SIGNUP_COOKIE, invite, { httpOnly: true, sameSite: 'lax', signed: true, secure: ctx.secure, maxAge: 10 * 60 * 1000 });
    session.signIn(ctx, '/account/profile');
  });

  router.get('/language', async (ctx) => {
    const locale = matchLocale(ctx.query.to);
    if (locale) {
      ctx.cookies.set(LANGUAGE_COOKIE, locale, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, maxAge: 365 * 24 * 3600 * 1000 });
      const account = await session.current(ctx);
      if (account) await accounts.setLocale(account.id, locale);
    }
    ctx.redirect(samePath(ctx.query.return));
  });

  /** The user's grants, by app: one entry per app, whatever number of grants it holds. */
  async function appsOf(accountId: string, t: Translate) {
    const docs = (await grants.find({ accountId })).filter((d) => {
      const clientId = (d.payload as GrantPayload).clientId;
      return clientId && clientId !== ACCOUNT_CLIENT_ID;
    });
    const described = await deps.describeGrants(docs.map((d) => d.id), t);
    const byClient = new Map<string, { clientId: string; name: string; since: number; grants: { id: string; words: string[] }[] }>();
    for (const doc of docs) {
      const grant = doc.payload as GrantPayload;
      const clientId = grant.clientId!;
      let app = byClient.get(clientId);
      if (!app) {
        const client = await provider.Client.find(clientId);
        app = { clientId, name: client?.clientName ?? clientId, since: Infinity, grants: [] };
        byClient.set(clientId, app);
      }
      app.since = Math.min(app.since, (grant.iat ?? Date.now() / 1000) * 1000);
      const scopes = [grant.openid?.scope, ...Object.values(grant.resources ?? {})].join(' ').split(' ').filter((s) => s && s !== 'openid');
      const words = described.get(doc.id) ?? [...(grant.openid ? [t('apps.sign_in')] : []), ...new Set(scopes.map((s) => describeScope(s, t)))];
      app.grants.push({ id: doc.id, words });
    }
    const apps = [...byClient.values()];
    const facts = await deps.describeApps(accountId, new Map(apps.map((a) => [a.clientId, a.grants.map((g) => g.id)])), t);
    return apps.map((app) => ({ ...app, devices: [], ...facts.get(app.clientId) }));
  }

  router.get('/apps', async (ctx) => {
    const account = await session.require(ctx);
    if (!account) return;
    const t = tr(ctx);
    views.page(ctx, 'apps', {
      title: t('apps.title'), apps: await appsOf(account.id, t), csrf: csrfToken(ctx), revoked: ctx.query.revoked === '1',
    });
  });

  async function ownGrant(ctx: Context, accountId: string) {
    const doc = await grants.get(ctx.params.grantId);
    const grant = doc?.payload as GrantPayload | undefined;
    if (!doc || grant?.accountId !== accountId) throw new HttpError(404, 'No such app access on your account.');
    return { id: doc.id, clientId: grant.clientId! };
  }

  // One grant (an app's access in one group), or with `app=1` the whole app: every grant it holds for this user.
  router.post('/apps/:grantId/revoke', async (ctx) => {
    verifyCsrf(ctx);
    const account = await session.require(ctx);
    if (!account) return;
    const grant = await ownGrant(ctx, account.id);
    const all = formText(ctx, 'app') === '1' ? (await grants.find({ accountId: account.id, clientId: grant.clientId })).map((d) => d.id) : [grant.id];
    for (const id of all) await deps.revokeGrant(id);
    await deps.events.emit({ type: 'access.revoked', sub: account.id, clientId: grant.clientId });
    seeOther(ctx, '/account/apps?revoked=1');
  });

  router.get('/profile', async (ctx) => {
    const account = await session.require(ctx);
    if (!account) return;
    const t = tr(ctx);
    views.page(ctx, 'profile', {
      title: t('profile.title'), account, csrf: csrfToken(ctx), saved: ctx.query.saved === '1', invite: deps.signup === 'invite',
      invitation: typeof ctx.query.invitation === 'string' ? ctx.query.invitation : '', error: '',
    });
  });

  router.post('/profile', async (ctx) => {
    verifyCsrf(ctx);
    const account = await session.require(ctx);
    if (!account) return;
    const locale = matchLocale(formText(ctx, 'locale'));
    try {
      await accounts.updateProfile(account.id, { name: formText(ctx, 'name'), locale });
    } catch (err) {
      const error = fieldMessage(err);
      if (!error) throw err;
      const t = tr(ctx);
      return views.page(ctx, 'profile', { title: t('profile.title'), account, csrf: csrfToken(ctx), saved: false, invite: false, invitation: '', error: t(error) }, 400);
    }
    if (locale) ctx.cookies.set(LANGUAGE_COOKIE, locale, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, maxAge: 365 * 24 * 3600 * 1000 });
    else ctx.cookies.set(LANGUAGE_COOKIE, null);
    seeOther(ctx, '/account/profile?saved=1');
  });

  // Only in SIGNUP=invite: a member invites a friend with a one-time link.
  router.post('/invitations', async (ctx) => {
    verifyCsrf(ctx);
    const account = await session.require(ctx);
    if (!account) return;
    if (deps.signup !== 'invite') throw new HttpError(404, 'Invitations are not used on this Plaza.');
    seeOther(ctx, `/account/profile?invitation=${encodeURIComponent(await deps.invitations.issue(account.id))}`);
  });

  function renderPassword(ctx: Context, extra: { error?: string; changed?: boolean; none?: boolean } = {}, status = 200) {
    views.page(ctx, 'password', { title: tr(ctx)('password.title'), csrf: csrfToken(ctx), passwordMin: PASSWORD_LENGTH.min, error: '', changed: false, none: false, ...extra }, status);
  }

  router.get('/password', async (ctx) => {
    const account = await session.require(ctx);
    if (!account) return;
    renderPassword(ctx, { changed: ctx.query.changed === '1', none: account.passwordHash === null });
  });

  // Re-authentication first, counted by the login throttle like a sign-in; then every other session of the account ends.
  router.post('/password', async (ctx) => {
    verifyCsrf(ctx);
    const account = await session.require(ctx);
    if (!account) return;
    const t = tr(ctx);
    if (account.passwordHash === null) return renderPassword(ctx, { none: true }, 400);
    const wait = await deps.throttle.attempt(account.username, ctx.ip);
    if (wait > 0) {
      ctx.set('Retry-After', String(wait));
      return renderPassword(ctx, { error: t('login.throttled', { minutes: Math.ceil(wait / 60) }) }, 429);
    }
    if (!await accounts.checkPassword(account, formText(ctx, 'current'))) return renderPassword(ctx, { error: t('password.wrong') }, 401);
    await deps.throttle.succeeded(account.username, ctx.ip);
    try {
      await accounts.setPassword(account.id, formText(ctx, 'password'));
    } catch (err) {
      const error = fieldMessage(err);
      if (!error) throw err;
      return renderPassword(ctx, { error: t(error) }, 400);
    }
    const keep = await session.sessionId(ctx);
    for (const other of await sessions.find({ accountId: account.id })) if (other.id !== keep) await sessions.delete(other.id);
    await deps.events.emit({ type: 'password.changed', sub: account.id });
    seeOther(ctx, '/account/password?changed=1');
  });

  return router;
}
