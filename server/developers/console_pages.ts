// The developer console at /developers: a signed-in user's apps, each one's settings, secrets, callback deliveries,
// and the initial access tokens for registering apps from code (RFC 7591). Every form carries a CSRF token.
import Router from '@koa/router';
import type { Context } from 'koa';
import {
  csrfToken, formBody, formText, HttpError, InputError, type MessageKey, seeOther, tr, type Translate, verifyCsrf, type Views,
} from '../http/index.ts';
import type { Account, Oidc, SecretField } from '../oidc/index.ts';
import type { Delivery } from '../async/index.ts';
import { APP_KINDS, type AppKind } from './app_kinds.ts';
import { fieldsOf, GRACE_PERIODS, type AppFields, type DeveloperApps, type OwnedApp } from './developer_apps.ts';
import type { SecretReveals, ShownSecrets, Viewer } from './secret_reveals.ts';

export interface ConsolePageDeps {
  issuer: string;
  apps: DeveloperApps;
  reveals: SecretReveals;
  oidc: Pick<Oidc, 'session' | 'initialAccessTokens'>;
  views: Views;
}

const SECRET_FIELDS: Record<string, SecretField> = { 'client-secret': 'client_secret', 'webhook-secret': 'webhook_secret' };

/** What the create or edit form sent. */
function postedFields(ctx: Context): AppFields {
  return {
    name: formText(ctx, 'name'),
    description: formText(ctx, 'description'),
    website: formText(ctx, 'website'),
    redirectUris: formText(ctx, 'redirect_uris').split(/\s+/).filter(Boolean),
    callbackUri: formText(ctx, 'callback_uri'),
    encryptionJwk: formText(ctx, 'encryption_jwk'),
    commands: formText(ctx, 'commands'),
    mention: formText(ctx, 'mention'),
    share: formText(ctx, 'share') === 'on',
    shareDescription: formText(ctx, 'share_description'),
  };
}

/** A kind of app in the reader's language: the catalogue has `dev.kind.<id>` and `dev.kind.<id>.summary` for each. */
function kindIn(t: Translate, kind: AppKind): AppKind {
  return { ...kind, label: t(`dev.kind.${kind.id}` as MessageKey), summary: t(`dev.kind.${kind.id}.summary` as MessageKey) };
}

const isoMinute = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16);

function viewDelivery(d: Delivery) {
  const last = d.attempts.at(-1);
  return {
    id: d.id, type: d.type, at: isoMinute(d.createdAt), state: d.state,
    status: last ? (last.status ? `HTTP ${last.status}` : last.error ?? '') : '',
    attempts: d.attempts.length,
    next: d.state === 'pending' ? isoMinute(d.nextAt) : '',
  };
}

function viewApp(t: Translate, app: OwnedApp) {
  const m = app.metadata;
  return {
    clientId: m.client_id,
    name: String(m.client_name ?? m.client_id),
    kind: app.kind && kindIn(t, app.kind),
    callbackUri: String(m.callback_uri ?? ''),
    authMethod: String(m.token_endpoint_auth_method ?? 'client_secret_basic'),
    grantTypes: (m.grant_types as string[] | undefined) ?? [],
    confidential: m.token_endpoint_auth_method !== 'none',
    verified: app.standing.verified === true,
    suspended: app.standing.suspended === true,
  };
}

export function consoleRoutes(deps: ConsolePageDeps): Router {
  const { apps, reveals, views } = deps;
  const { session, initialAccessTokens } = deps.oidc;
  const router = new Router({ prefix: '/developers' });
  router.use(formBody());
  // Secrets are shown on these pages: no cache keeps a copy.
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  /** The signed-in developer, after the CSRF check for a form post. */
  async function developer(ctx: Context): Promise<Account | undefined> {
    if (ctx.method === 'POST') verifyCsrf(ctx);
    return session.require(ctx);
  }

  const viewer = async (ctx: Context, account: Account): Promise<Viewer> => ({ account: account.id, sessionUid: await session.uid(ctx) });
  const appPath = (clientId: string) => `/developers/apps/${encodeURIComponent(clientId)}`;

  /** Post/Redirect/Get: the secrets go to a one-time reveal, and the browser to the page that shows it. */
  async function redirectToReveal(ctx: Context, account: Account, clientId: string | undefined, secrets: ShownSecrets) {
    const id = await reveals.keep(await viewer(ctx, account), clientId ?? '', secrets);
    seeOther(ctx, clientId === undefined ? `/developers/tokens/shown/${id}` : `${appPath(clientId)}/shown/${id}`);
  }

  async function renderConsole(ctx: Context, account: Account, extra: { error?: string; form?: Partial<AppFields> & { kind?: string }; shown?: ShownSecrets; shownAlready?: boolean; status?: number } = {}) {
    const t = tr(ctx);
    views.page(ctx, 'developers', {
      title: t('dev.title'),
      user: account.name,
      apps: (await apps.list(account.id)).map((app) => viewApp(t, app)),
      kinds: APP_KINDS.map((kind) => kindIn(t, kind)),
      tokens: await initialAccessTokens.listFor(account.id),
      registrationEndpoint: `${deps.issuer}/reg`,
      form: extra.form ?? {},
      error: extra.error,
      shown: extra.shown ?? {},
      shownAlready: extra.shownAlready === true,
      deleted: ctx.query.deleted === '1',
      csrf: csrfToken(ctx),
    }, extra.status);
  }

  async function renderApp(ctx: Context, account: Account, clientId: string, extra: { error?: string; form?: AppFields; shown?: ShownSecrets; shownAlready?: boolean; status?: number } = {}) {
    const app = await apps.get(account.id, clientId);
    views.page(ctx, 'developer_app', {
      title: String(app.metadata.client_name ?? clientId),
      issuer: deps.issuer,
      app: viewApp(tr(ctx), app),
      // The settings form: what was sent, when it was refused; otherwise what is registered.
      form: extra.form ?? fieldsOf(app.metadata),
      deliveries: (await apps.deliveries(account.id, clientId)).map(viewDelivery),
      // client_secret_jwt assertions are checked against the current secret only: no grace can be promised.
      graces: app.metadata.token_endpoint_auth_method === 'client_secret_jwt' ? ['now'] : Object.keys(GRACE_PERIODS),
      error: extra.error,
      shown: extra.shown ?? {},
      shownAlready: extra.shownAlready === true,
      notice: typeof ctx.query.done === 'string' ? ctx.query.done : '',
      csrf: csrfToken(ctx),
    }, extra.status);
  }

  router.get('/', async (ctx) => {
    const account = await developer(ctx);
    if (account) await renderConsole(ctx, account);
  });

  router.post('/apps', async (ctx) => {
    const account = await developer(ctx);
    if (!account) return;
    const kind = formText(ctx, 'kind');
    try {
      const { metadata, generatedSecret, generatedWebhookSecret } = await apps.create(account.id, kind, postedFields(ctx));
      await redirectToReveal(ctx, account, metadata.client_id, { client_secret: generatedSecret, webhook_secret: generatedWebhookSecret });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      await renderConsole(ctx, account, { error: err.message, form: { ...postedFields(ctx), kind }, status: 400 });
    }
  });

  router.get('/apps/:clientId', async (ctx) => {
    const account = await developer(ctx);
    if (account) await renderApp(ctx, account, ctx.params.clientId);
  });

  router.get('/apps/:clientId/shown/:revealId', async (ctx) => {
    const account = await developer(ctx);
    if (!account) return;
    const shown = await reveals.take(await viewer(ctx, account), ctx.params.clientId, ctx.params.revealId);
    await renderApp(ctx, account, ctx.params.clientId, shown ? { shown } : { shownAlready: true });
  });

  router.post('/apps/:clientId', async (ctx) => {
    const account = await developer(ctx);
    if (!account) return;
    const fields = postedFields(ctx);
    try {
      await apps.update(account.id, ctx.params.clientId, fields);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return renderApp(ctx, account, ctx.params.clientId, { error: err.message, form: fields, status: 400 });
    }
    seeOther(ctx, `${appPath(ctx.params.clientId)}?done=saved`);
  });

  router.post('/apps/:clientId/secrets/:secret/rotate', async (ctx) => {
    const account = await developer(ctx);
    if (!account) return;
    const field = SECRET_FIELDS[ctx.params.secret];
    if (!field) throw new HttpError(404, 'No such secret.');
    const secret = await apps.rotate(account.id, ctx.params.clientId, field, formText(ctx, 'grace'));
    await redirectToReveal(ctx, account, ctx.params.clientId, { [field]: secret });
  });

  router.post('/apps/:clientId/ping', async (ctx) => {
    const account = await developer(ctx);
    if (!account) return;
    await apps.ping(account.id, ctx.params.clientId);
    seeOther(ctx, `${appPath(ctx.params.clientId)}?done=pinged`);
  });

  router.post('/apps/:clientId/deliveries/:deliveryId/redeliver', async (ctx) => {
    const account = await developer(ctx);
    if (!account) return;
    await apps.redeliver(account.id, ctx.params.clientId, ctx.params.deliveryId);
    seeOther(ctx, `${appPath(ctx.params.clientId)}?done=redelivering`);
  });

  router.post('/apps/:clientId/delete', async (ctx) => {
    const account = await developer(ctx);
    if (!account) return;
    await apps.remove(account.id, ctx.params.clientId);
    seeOther(ctx, '/developers?deleted=1');
  });

  router.post('/tokens', async (ctx) => {
    const account = await developer(ctx);
    if (!account) return;
    const { token } = await initialAccessTokens.create(account.id);
    await redirectToReveal(ctx, account, undefined, { initial_access_token: token });
  });

  router.get('/tokens/shown/:revealId', async (ctx) => {
    const account = await developer(ctx);
    if (!account) return;
    const shown = await reveals.take(await viewer(ctx, account), '', ctx.params.revealId);
    await renderConsole(ctx, account, shown ? { shown } : { shownAlready: true });
  });

  router.post('/tokens/:id/revoke', async (ctx) => {
    const account = await developer(ctx);
    if (!account) return;
    if (!await initialAccessTokens.revoke(account.id, ctx.params.id)) throw new HttpError(404, 'You have no such initial access token.');
    seeOther(ctx, '/developers');
  });

  return router;
}
