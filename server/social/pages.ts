// The social pages for people: my groups, a group's messages and its apps, and adding an app to a group as a
// decision the user understands: a search over apps that act in groups, then a confirmation in words.
// They call the same code as the API; here the user acts directly, so nothing is `via` an app.
import Router from '@koa/router';
import type { Context } from 'koa';
import { csrfToken, formBody, formField, HttpError, seeOther, tr, verifyCsrf, type Translate, type Views } from '../http/index.ts';
import type { Accounts, BrowserSession, Clients, Oidc } from '../oidc/index.ts';
import type { GroupAppActions } from './api.ts';
import type { AuditLog } from './audit.ts';
import type { Group, Groups } from './groups.ts';
import type { Message, Messages } from './messages.ts';
import { pageNames } from './names.ts';

export interface SocialPageDeps {
  session: BrowserSession;
  views: Views;
  accounts: Accounts;
  clients: Clients;
  /** Who is behind an app, shown before a member adds it. */
  publisherOf: Oidc['publisherOf'];
  groups: Groups;
  messages: Messages;
  audit: AuditLog;
  groupApps: GroupAppActions;
  grantableActions: string[];
  /** An action in words with the group's name, in the reader's language. */
  describeAction(action: string, group: string, t: Translate): string;
}

const SEARCH_RESULTS = 20;

/** What an app added to a group may do there, in words: its standing actions, and responding when asked. */
function wordsOf(app: { actions: string[]; respond?: boolean }, group: Group, t: Translate, describe: SocialPageDeps['describeAction']): string[] {
  return [...app.actions.map((action) => describe(action, group.name, t)), ...(app.respond ? [t('group.respond', { group: group.name })] : [])];
}

export function socialPages(deps: SocialPageDeps): Router {
  const { session, views, groups, messages, audit, clients, groupApps } = deps;
  const router = new Router();
  router.use(formBody());
  const groupPath = (group: Group, query = '') => `/groups/${encodeURIComponent(group.id)}${query}`;

  /** The signed-in member of the group in the URL, or undefined after a redirect to sign in. */
  async function member(ctx: Context) {
    const account = await session.require(ctx);
    if (!account) return undefined;
    const group = await groups.get(ctx.params.id);
    if (!group) throw new HttpError(404, 'There is no such group.');
    if (!await groups.isMember(group.id, account.id)) throw new HttpError(403, 'You are not a member of this group.');
    return { account, group };
  }

  /** Apps that take action grants (they have a callback to receive them), not suspended, not yet in the group. */
  async function candidates(group: Group, sub: string, query: string, limit = SEARCH_RESULTS) {
    const added = new Set((await groupApps.listApps(group.id, sub)).map((a) => a.client_id));
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const found = [];
    for (const c of await clients.list()) {
      if (typeof c.callback_uri !== 'string' || added.has(c.client_id) || await clients.isSuspended(c.client_id)) continue;
      const publisher = await deps.publisherOf(c.client_id);
      const app = { id: c.client_id, name: String(c.client_name ?? c.client_id), description: typeof c.plaza_description === 'string' ? c.plaza_description : '', publisher };
      const haystack = `${app.name} ${app.description} ${publisher.developer ?? ''} ${publisher.website ?? ''}`.toLowerCase();
      if (words.every((w) => haystack.includes(w))) found.push(app);
      if (found.length >= limit) break;
    }
    return found;
  }

  router.get('/groups', async (ctx) => {
    const account = await session.require(ctx);
    if (!account) return;
    views.page(ctx, 'groups', { title: tr(ctx)('groups.title'), groups: await groups.groupsOf(account.id) });
  });

  router.get('/groups/:id', async (ctx) => {
    const found = await member(ctx);
    if (!found) return;
    const { account, group } = found;
    const t = tr(ctx);
    const names = pageNames(deps);
    const newest = await messages.list(group.id);
    const byId = new Map(newest.map((m) => [m.id, m]));
    const view = async (m: Message) => {
      const parent = m.replyTo ? byId.get(m.replyTo) : undefined;
      // An app answering the user who asked it, as that user: say so, as chat apps do.
      const answering = m.via && parent?.author === m.author;
      const via = m.via ? await names.app(m.via) : '';
      const byline = !via ? '' : !answering ? t('group.via', { app: via })
        : m.author === account.id ? t('group.via_answering_you', { app: via }) : t('group.via_answering', { app: via, user: await names.user(m.author) });
      return { id: m.id, author: await names.user(m.author), byline, text: m.text, at: m.createdAt, replies: [] as unknown[] };
    };
    // Threads: a reply under the thread of the message it answers (oldest reply first), when that message is on the page.
    const list = [];
    const threadOf = new Map<string, Awaited<ReturnType<typeof view>>>();
    for (const m of [...newest].reverse()) {
      const v = await view(m);
      const thread = m.replyTo ? threadOf.get(m.replyTo) : undefined;
      threadOf.set(m.id, thread ?? v);
      if (thread) thread.replies.push(v);
      else list.unshift(v);
    }
    const apps = (await groupApps.listApps(group.id, account.id)).map((a) => ({
      ...a, words: wordsOf(a, group, t, deps.describeAction),
    }));
    const query = typeof ctx.query.q === 'string' ? ctx.query.q.slice(0, 100) : '';
    const notice = async (param: unknown, key: 'group.added' | 'group.removed') => {
      if (typeof param !== 'string' || !param || !await clients.get(param)) return '';
      const app = apps.find((a) => a.client_id === param);
      if (key === 'group.added' && !app) return '';
      return t(key, { app: app?.client_name ?? await names.app(param), group: group.name, actions: app ? app.words.join('; ') : '' });
    };
    views.page(ctx, 'group', {
      title: group.name, group, messages: list, apps, csrf: csrfToken(ctx), query,
      candidates: await candidates(group, account.id, query), shareTargets: await groupApps.shareTargets(group.id),
      notice: await notice(ctx.query.added, 'group.added') || await notice(ctx.query.removed, 'group.removed'),
    });
  });

  // The confirmation: who the app is, each action in words with the group's name, how long it lasts, how to undo it.
  router.get('/groups/:id/apps/new', async (ctx) => {
    const found = await member(ctx);
    if (!found) return;
    const { account, group } = found;
    const t = tr(ctx);
    const clientId = typeof ctx.query.client_id === 'string' ? ctx.query.client_id : '';
    const app = (await candidates(group, account.id, '', Infinity)).find((c) => c.id === clientId);
    if (!app) throw new HttpError(404, t('group.not_offered'));
    views.page(ctx, 'add_app', {
      title: t('group.confirm_title', { app: app.name, group: group.name }), group, app, csrf: csrfToken(ctx),
      actions: deps.grantableActions.map((action) => ({ action, words: deps.describeAction(action, group.name, t), checked: action === 'messages:post' })),
      respond: t('group.respond', { group: group.name }),
    });
  });

  router.post('/groups/:id/messages', async (ctx) => {
    verifyCsrf(ctx);
    const found = await member(ctx);
    if (!found) return;
    const message = await messages.post({ groupId: found.group.id, author: found.account.id, via: null, text: formField(ctx, 'text') });
    await audit.record({ sub: found.account.id, via: null, action: 'message.posted', groupId: found.group.id, detail: message.id });
    seeOther(ctx, groupPath(found.group));
  });

  router.post('/groups/:id/apps', async (ctx) => {
    verifyCsrf(ctx);
    const found = await member(ctx);
    if (!found) return;
    const actions = formField(ctx, 'actions');
    const added = await groupApps.addApp({
      sub: found.account.id, groupId: found.group.id, clientId: formField(ctx, 'client_id'),
      actions: typeof actions === 'string' ? [actions] : actions ?? [], respond: formField(ctx, 'respond') === 'true', via: null,
    });
    seeOther(ctx, groupPath(found.group, `?added=${encodeURIComponent(added.client_id)}`));
  });

  router.post('/groups/:id/messages/:messageId/share', async (ctx) => {
    verifyCsrf(ctx);
    const found = await member(ctx);
    if (!found) return;
    await groupApps.share({ sub: found.account.id, groupId: found.group.id, messageId: ctx.params.messageId, clientId: formField(ctx, 'client_id'), via: null });
    seeOther(ctx, groupPath(found.group));
  });

  router.post('/groups/:id/apps/:clientId/remove', async (ctx) => {
    verifyCsrf(ctx);
    const found = await member(ctx);
    if (!found) return;
    await groupApps.removeApp({ sub: found.account.id, groupId: found.group.id, clientId: ctx.params.clientId, via: null });
    seeOther(ctx, groupPath(found.group, `?removed=${encodeURIComponent(ctx.params.clientId)}`));
  });

  router.post('/groups/:id/leave', async (ctx) => {
    verifyCsrf(ctx);
    const found = await member(ctx);
    if (!found) return;
    await groups.removeMember(found.group.id, found.account.id);
    await audit.record({ sub: found.account.id, via: null, action: 'group.left', groupId: found.group.id });
    seeOther(ctx, '/groups');
  });

  return router;
}
