// The social pages for people: my groups, a group's messages, adding an app to a group, and the activity log.
// They call the same code as the API; here the user acts directly, so nothing is `via` an app.
import Router from '@koa/router';
import type { Context } from 'koa';
import { csrfToken, formBody, formField, HttpError, seeOther, verifyCsrf, type Views } from '../http/index.ts';
import type { Accounts, BrowserSession, Clients, Oidc } from '../oidc/index.ts';
import type { GroupAppActions } from './api.ts';
import type { AuditLog } from './audit.ts';
import type { Groups } from './groups.ts';
import type { Message, Messages } from './messages.ts';

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
}

export function socialPages(deps: SocialPageDeps): Router {
  const { session, views, groups, messages, audit, accounts, clients, groupApps } = deps;
  const router = new Router();
  router.use(formBody());

  const names = new Map<string, string>();
  async function nameOf(kind: 'user' | 'app', id: string): Promise<string> {
    const key = `${kind}:${id}`;
    if (!names.has(key)) {
      const name = kind === 'user' ? (await accounts.find(id))?.name : (await clients.get(id))?.client_name;
      names.set(key, typeof name === 'string' ? name : id);
    }
    return names.get(key)!;
  }

  /** The signed-in member of the group in the URL, or undefined after a redirect to sign in. */
  async function member(ctx: Context) {
    const account = await session.require(ctx);
    if (!account) return undefined;
    const group = await groups.get(ctx.params.id);
    if (!group) throw new HttpError(404, 'There is no such group.');
    if (!await groups.isMember(group.id, account.id)) throw new HttpError(403, 'You are not a member of this group.');
    return { account, group };
  }

  router.get('/groups', async (ctx) => {
    const account = await session.require(ctx);
    if (!account) return;
    views.page(ctx, 'groups', { title: 'My groups', groups: await groups.groupsOf(account.id) });
  });

  router.get('/groups/:id', async (ctx) => {
    const found = await member(ctx);
    if (!found) return;
    const { account, group } = found;
    const newest = await messages.list(group.id);
    const byId = new Map(newest.map((m) => [m.id, m]));
    const view = async (m: Message) => {
      const parent = m.replyTo ? byId.get(m.replyTo) : undefined;
      // An app answering the user who asked it, as that user: say so, as chat apps do.
      const answering = m.via && parent?.author === m.author ? (m.author === account.id ? 'you' : await nameOf('user', m.author)) : '';
      return {
        id: m.id, author: await nameOf('user', m.author), via: m.via ? await nameOf('app', m.via) : '', answering,
        text: m.text, at: new Date(m.createdAt).toISOString().replace('T', ' ').slice(0, 16), replies: [] as unknown[],
      };
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
    const added = await groupApps.listApps(group.id, account.id);
    const candidates = [];
    for (const c of await clients.list()) {
      if (typeof c.callback_uri !== 'string' || added.some((a) => a.client_id === c.client_id) || (await clients.standing(c.client_id))?.suspended) continue;
      candidates.push({ id: c.client_id, name: String(c.client_name ?? c.client_id), publisher: await deps.publisherOf(c.client_id) });
    }
    views.page(ctx, 'group', {
      title: group.name, group, messages: list, apps: added, csrf: csrfToken(ctx), candidates,
      actions: deps.grantableActions, shareTargets: await groupApps.shareTargets(group.id),
    });
  });

  router.post('/groups/:id/messages', async (ctx) => {
    verifyCsrf(ctx);
    const found = await member(ctx);
    if (!found) return;
    const message = await messages.post({ groupId: found.group.id, author: found.account.id, via: null, text: formField(ctx, 'text') });
    await audit.record({ sub: found.account.id, via: null, action: 'message.posted', groupId: found.group.id, detail: message.id });
    seeOther(ctx, `/groups/${encodeURIComponent(found.group.id)}`);
  });

  router.post('/groups/:id/apps', async (ctx) => {
    verifyCsrf(ctx);
    const found = await member(ctx);
    if (!found) return;
    const actions = formField(ctx, 'actions');
    await groupApps.addApp({
      sub: found.account.id, groupId: found.group.id, clientId: formField(ctx, 'client_id'),
      actions: typeof actions === 'string' ? [actions] : actions ?? [], respond: formField(ctx, 'respond') === 'true', via: null,
    });
    seeOther(ctx, `/groups/${encodeURIComponent(found.group.id)}`);
  });

  router.post('/groups/:id/messages/:messageId/share', async (ctx) => {
    verifyCsrf(ctx);
    const found = await member(ctx);
    if (!found) return;
    await groupApps.share({ sub: found.account.id, groupId: found.group.id, messageId: ctx.params.messageId, clientId: formField(ctx, 'client_id'), via: null });
    seeOther(ctx, `/groups/${encodeURIComponent(found.group.id)}`);
  });

  router.post('/groups/:id/apps/:clientId/remove', async (ctx) => {
    verifyCsrf(ctx);
    const found = await member(ctx);
    if (!found) return;
    await groupApps.removeApp({ sub: found.account.id, groupId: found.group.id, clientId: ctx.params.clientId, via: null });
    seeOther(ctx, `/groups/${encodeURIComponent(found.group.id)}`);
  });

  router.post('/groups/:id/leave', async (ctx) => {
    verifyCsrf(ctx);
    const found = await member(ctx);
    if (!found) return;
    await groups.removeMember(found.group.id, found.account.id);
    await audit.record({ sub: found.account.id, via: null, action: 'group.left', groupId: found.group.id });
    seeOther(ctx, '/groups');
  });

  router.get('/account/activity', async (ctx) => {
    const account = await session.require(ctx);
    if (!account) return;
    const entries = [];
    for (const e of await audit.listFor(account.id)) {
      entries.push({
        at: new Date(e.at).toISOString().replace('T', ' ').slice(0, 19), action: e.action, group: e.groupId ?? '', detail: e.detail ?? '',
        via: e.via ? await nameOf('app', e.via) : 'you, on Plaza',
      });
    }
    views.page(ctx, 'activity', { title: 'Activity on your behalf', entries });
  });

  return router;
}
