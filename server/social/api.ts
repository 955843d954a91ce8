// The protected API under /api. Every route names its operation; the grant check decides.
import Router from '@koa/router';
import type { Context } from 'koa';
import { HttpError, jsonBody, type JsonSchema } from '../http/index.ts';
import type { Accounts } from '../oidc/index.ts';
import type { AuditLog } from './audit.ts';
import type { GrantCheck, Operation } from './grant_check.ts';
import type { Groups } from './groups.ts';
import { viewMessage, type Messages } from './messages.ts';

/** Adding and removing apps in a group: the user action of action grants, provided by the action grants capability. */
export interface GroupAppSummary {
  group_id: string;
  client_id: string;
  client_name: string;
  actions: string[];
  respond: boolean;
  added_at: string;
}

/** An app a member may share a message with in a group. */
export interface ShareTarget {
  client_id: string;
  client_name: string;
}

export interface GroupAppActions {
  /** The JSON Schema `addApp` checks its input against, for the OpenAPI document. */
  readonly addAppInput: JsonSchema;
  addApp(input: { sub: string; groupId: string; clientId: unknown; actions: unknown; respond?: unknown; via: string | null }): Promise<GroupAppSummary>;
  listApps(groupId: string, sub: string): Promise<GroupAppSummary[]>;
  removeApp(input: { sub: string; groupId: string; clientId: string; via: string | null }): Promise<boolean>;
  /** The JSON Schema `share` checks its input against, for the OpenAPI document. */
  readonly shareInput: JsonSchema;
  /** The member shares a message with an app that responds in the group: the share trigger. */
  share(input: { sub: string; groupId: string; messageId: string; clientId: unknown; via: string | null }): Promise<void>;
  /** The apps that take shared messages in the group. */
  shareTargets(groupId: string): Promise<ShareTarget[]>;
}

export interface SocialApiDeps {
  issuer: string;
  check: GrantCheck;
  accounts: Accounts;
  groups: Groups;
  messages: Messages;
  audit: AuditLog;
  groupApps: GroupAppActions;
}

export function socialApiRoutes(deps: SocialApiDeps): Router {
  const { check, groups, messages, audit, groupApps } = deps;
  const router = new Router({ prefix: '/api' });
  const authorize = (ctx: Context, op: Operation) => check.authorize({
    authorization: ctx.get('authorization') || undefined,
    dpop: ctx.headers.dpop,
    method: ctx.method,
    url: `${deps.issuer}${ctx.path}`,
  }, op);

  router.get('/me', async (ctx) => {
    const caller = await authorize(ctx, {});
    const account = await deps.accounts.find(caller.sub);
    // The display name is what the app shows the user it acts for; the username only when released (`profile`).
    ctx.body = { sub: caller.subjectOf(caller.sub), username: caller.released.has('preferred_username') ? account?.username : undefined, name: account?.name };
  });

  router.get('/groups', async (ctx) => {
    const caller = await authorize(ctx, { permission: 'groups:read' });
    ctx.body = (await groups.groupsOf(caller.sub)).map((g) => ({ id: g.id, name: g.name }));
  });

  router.get('/groups/:id/messages', async (ctx) => {
    const caller = await authorize(ctx, { permission: 'messages:read', groupId: ctx.params.id });
    ctx.body = (await messages.list(ctx.params.id)).map((m) => viewMessage(m, caller.subjectOf));
  });

  // The Location a post answers with: the list shows only the newest messages, this finds any one of them.
  router.get('/groups/:id/messages/:messageId', async (ctx) => {
    const caller = await authorize(ctx, { permission: 'messages:read', groupId: ctx.params.id });
    const message = await messages.get(ctx.params.id, ctx.params.messageId);
    if (!message) throw new HttpError(404, 'no such message in this group');
    ctx.body = viewMessage(message, caller.subjectOf);
  });

  router.post('/groups/:id/messages', async (ctx) => {
    const body = jsonBody(ctx);
    const replyTo = typeof body.reply_to === 'string' ? body.reply_to : undefined;
    const caller = await authorize(ctx, { permission: 'messages:post', groupId: ctx.params.id, replyTo });
    const prepared = await messages.prepare({ groupId: ctx.params.id, author: caller.sub, via: caller.clientId, text: body.text, replyTo: body.reply_to });
    // Last, once nothing else can refuse the post: an interaction token spends one of its uses.
    const use = await check.spend(caller.use);
    const message = await messages.store(prepared);
    await audit.record(use === undefined
      ? { sub: caller.sub, via: caller.clientId, action: 'message.posted', groupId: ctx.params.id, detail: message.id }
      : { sub: caller.sub, via: caller.clientId, action: 'interaction.replied', groupId: ctx.params.id, detail: `${message.id}, answering ${replyTo} (use ${use} of ${caller.use!.maxUses})` });
    ctx.status = 201;
    ctx.set('Location', `${deps.issuer}/api/groups/${encodeURIComponent(ctx.params.id)}/messages/${message.id}`);
    ctx.body = viewMessage(message, caller.subjectOf);
  });

  router.get('/groups/:id/apps', async (ctx) => {
    const caller = await authorize(ctx, { permission: 'groups:apps', groupId: ctx.params.id });
    ctx.body = await groupApps.listApps(ctx.params.id, caller.sub);
  });

  router.post('/groups/:id/apps', async (ctx) => {
    const caller = await authorize(ctx, { permission: 'groups:apps', groupId: ctx.params.id });
    const body = jsonBody(ctx);
    ctx.status = 201;
    ctx.body = await groupApps.addApp({
      sub: caller.sub, groupId: ctx.params.id, clientId: body.client_id, actions: body.actions, respond: body.respond, via: caller.clientId,
    });
  });

  router.post('/groups/:id/messages/:messageId/share', async (ctx) => {
    const caller = await authorize(ctx, { permission: 'groups:apps', groupId: ctx.params.id });
    await groupApps.share({ sub: caller.sub, groupId: ctx.params.id, messageId: ctx.params.messageId, clientId: jsonBody(ctx).client_id, via: caller.clientId });
    ctx.status = 204;
  });

  router.delete('/groups/:id/apps/:clientId', async (ctx) => {
    const caller = await authorize(ctx, { permission: 'groups:apps', groupId: ctx.params.id });
    const removed = await groupApps.removeApp({ sub: caller.sub, groupId: ctx.params.id, clientId: ctx.params.clientId, via: caller.clientId });
    if (!removed) throw new HttpError(404, 'that app is not in this group for you');
    ctx.status = 204;
  });

  return router;
}
