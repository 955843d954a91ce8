// The user action itself: a member adds an app to a group with the actions it may take there. Plaza mints an
// action ticket and delivers it to the app's callback; removing the app revokes every grant it got that way.
import type { CallbackQueue } from '../async/index.ts';
import { HttpError, validator, type JsonSchema } from '../http/index.ts';
import type { Oidc } from '../oidc/index.ts';
import { ForbiddenError, type AuditLog, type GroupAppSummary, type Groups } from '../social/index.ts';
import { checkActingClient } from './check_acting_client.ts';
import type { GroupApp, GroupApps } from './group_apps.ts';
import { OPERATIONS } from './operations.ts';
import type { ActionTickets, GrantTerms } from './tickets.ts';
import { namesOf, triggersOf } from './triggers.ts';

/** What an app may be allowed to do in a group on a user's behalf. */
export const GRANTABLE_ACTIONS = ['messages:post', 'messages:read'];

export interface GroupActionsDeps {
  oidc: Pick<Oidc, 'clients' | 'revokeGrant' | 'subjects'>;
  groups: Groups;
  audit: AuditLog;
  apps: GroupApps;
  tickets: ActionTickets;
  callbacks: CallbackQueue;
}

/** Adding an app: the OpenAPI document prints this, and `addApp` checks what it is given against it. */
export const ADD_APP_INPUT: JsonSchema = {
  type: 'object', required: ['client_id'],
  properties: {
    client_id: { type: 'string', minLength: 1, description: 'A client with a `callback_uri`, other than the token\'s own' },
    actions: { type: 'array', items: { enum: GRANTABLE_ACTIONS }, description: 'Standing actions; may be empty only when `respond` is true' },
    respond: { type: 'boolean', default: false, description: 'Respond when asked: the app\'s triggers work in this group, each answering once as the member who asked' },
  },
  // Standing actions, or respond when asked, or both: never an app added to do nothing.
  if: { properties: { respond: { const: true } }, required: ['respond'] },
  else: { required: ['actions'], properties: { actions: { minItems: 1 } } },
  examples: [{ client_id: 'poster', actions: [GRANTABLE_ACTIONS[0]] }, { client_id: 'weather', actions: [], respond: true }],
};
const checkAddApp = validator<{ client_id: string; actions?: string[]; respond?: boolean }>(ADD_APP_INPUT, {
  code: { client_id: 'invalid_client_id', actions: 'invalid_actions', respond: 'invalid_actions' },
});

/** Interaction grants answer one message each: changing the app's standing actions leaves them be. */
const isInteraction = (terms: GrantTerms) => terms.inReplyTo !== undefined;

export class GroupActions {
  readonly #deps: GroupActionsDeps;
  readonly addAppInput = ADD_APP_INPUT;

  constructor(deps: GroupActionsDeps) {
    this.#deps = deps;
  }

  async #assertMember(groupId: string, sub: string): Promise<void> {
    if (!await this.#deps.groups.get(groupId)) throw new HttpError(404, `no group ${groupId}`);
    if (!await this.#deps.groups.isMember(groupId, sub)) throw new ForbiddenError(`you are not a member of group ${groupId}`);
  }

  async #view(app: GroupApp): Promise<GroupAppSummary> {
    const client = await this.#deps.oidc.clients.get(app.clientId);
    return {
      group_id: app.groupId, client_id: app.clientId, client_name: String(client?.client_name ?? app.clientId),
      actions: app.actions, respond: app.respond === true, added_at: new Date(app.addedAt).toISOString(),
    };
  }

  async addApp(input: { sub: string; groupId: string; clientId: unknown; actions: unknown; respond?: unknown; via: string | null }): Promise<GroupAppSummary> {
    const { oidc, apps, tickets, audit, callbacks } = this.#deps;
    await this.#assertMember(input.groupId, input.sub);
    await checkActingClient(oidc, input.via, input.clientId);
    const { client_id: clientId, actions: listed = [], respond = false } = checkAddApp({ client_id: input.clientId, actions: input.actions, respond: input.respond });
    const actions = [...new Set(listed)];
    const target = await oidc.clients.callbackOf(clientId);
    if (!target) throw new HttpError(400, `app ${clientId} does not exist or has no callback_uri to receive the grant`, { code: 'invalid_client_id' });
    if (respond) await this.#checkNamesFree(input.groupId, clientId);

    const app = await apps.add({ groupId: input.groupId, sub: input.sub, clientId, actions, respond });
    // Adding again with fewer actions takes back what the app got, or may still redeem, beyond them.
    await this.#takeBack(input.groupId, input.sub, clientId, (granted) => isInteraction(granted) || granted.actions.every((a) => actions.includes(a)));
    if (!respond) await this.#endInteractionsIfSilent(input.groupId, clientId);
    await audit.record({
      sub: input.sub, via: input.via, action: 'app.added', groupId: input.groupId,
      detail: `${target.name}: ${[...actions, ...(respond ? ['respond when asked'] : [])].join(' ')}`,
    });
    const fired = OPERATIONS['app.added'].condition({ kind: 'app.added', actions }, {});
    if (fired) {
      const { ticket, expiresAt } = await tickets.mint({ operation: 'app.added', sub: input.sub, clientId, groupId: input.groupId, actions });
      await callbacks.enqueue({
        clientId: target.clientId, type: 'action.granted',
        data: { ticket, user: await this.#deps.oidc.subjects.of(clientId, input.sub), group_id: input.groupId, actions, expires_at: new Date(expiresAt).toISOString() },
      });
    }
    return this.#view(app);
  }

  /** Command and mention names are unique in a group among the apps that respond there. */
  async #checkNamesFree(groupId: string, clientId: string): Promise<void> {
    const { apps, oidc } = this.#deps;
    const mine = namesOf(triggersOf(await oidc.clients.get(clientId)));
    for (const other of await apps.respondersIn(groupId)) {
      if (other === clientId) continue;
      const theirs = new Set(namesOf(triggersOf(await oidc.clients.get(other))));
      const taken = mine.find((n) => theirs.has(n));
      if (taken) throw new HttpError(409, `${taken} is already answered by ${other} in this group`, { code: 'trigger_conflict' });
    }
  }

  async listApps(groupId: string, sub: string): Promise<GroupAppSummary[]> {
    await this.#assertMember(groupId, sub);
    return Promise.all((await this.#deps.apps.listFor(groupId, sub)).map((a) => this.#view(a)));
  }

  /** Removes the app from the group for this user and revokes every token it holds for them there. */
  async removeApp(input: { sub: string; groupId: string; clientId: string; via: string | null }): Promise<boolean> {
    await checkActingClient(this.#deps.oidc, input.via, input.clientId);
    return this.#remove(input, input.clientId);
  }

  /** The user leaves the group or is removed from it: every app they added there goes, with all it got there. */
  async memberLeaving(groupId: string, sub: string): Promise<void> {
    const { apps } = this.#deps;
    const clientIds = new Set([...(await apps.listFor(groupId, sub)).map((a) => a.clientId), ...await apps.grantHolders(groupId, sub)]);
    for (const clientId of clientIds) await this.#remove({ sub, groupId, clientId, via: null }, `${clientId} (membership ended)`);
  }

  /**
   * The user revoked an action grant elsewhere (My apps) or the operator removed its app: that takes the app back in
   * that group, so a ticket still waiting cannot bring its access back. Grants this capability revokes are forgotten first.
   */
  async grantRevoked(grantId: string): Promise<void> {
    const grant = await this.#deps.apps.grant(grantId);
    // An interaction grant ends alone: the app still answers when asked again.
    if (grant && isInteraction(grant)) return this.#deps.apps.forgetGrant(grantId);
    if (grant) await this.#remove({ sub: grant.sub, groupId: grant.groupId, clientId: grant.clientId, via: null }, `${grant.clientId} (access revoked)`);
  }

  /** Voids the app's tickets and revokes its grants for this user and group, but those `keep` accepts; returns the grant ids. */
  async #takeBack(groupId: string, sub: string, clientId: string, keep?: (terms: GrantTerms) => boolean): Promise<string[]> {
    const { apps, tickets, oidc } = this.#deps;
    // Tickets first: a redemption in flight either sees its ticket gone or recorded its grant before the scan below.
    await tickets.forgetFor(sub, clientId, groupId, keep);
    const grantIds = await apps.takeGrants(groupId, sub, clientId, keep);
    for (const grantId of grantIds) await oidc.revokeGrant(grantId);
    return grantIds;
  }

  /**
   * Interactions answer only while some member lets the app respond in the group: when none does any more, every
   * interaction ticket and grant it holds there ends at once, whoever asked. Tickets first, as in `#takeBack`.
   */
  async #endInteractionsIfSilent(groupId: string, clientId: string): Promise<void> {
    const { apps, tickets, oidc } = this.#deps;
    if ((await apps.respondersIn(groupId)).includes(clientId)) return;
    await tickets.forgetInteractions(clientId, groupId);
    for (const grantId of await apps.takeInteractionGrants(groupId, clientId)) await oidc.revokeGrant(grantId);
  }

  async #remove(input: { sub: string; groupId: string; clientId: string; via: string | null }, detail: string): Promise<boolean> {
    const { apps, audit } = this.#deps;
    const removed = await apps.remove(input.groupId, input.sub, input.clientId);
    const grantIds = await this.#takeBack(input.groupId, input.sub, input.clientId);
    if (removed) await this.#endInteractionsIfSilent(input.groupId, input.clientId);
    if (removed || grantIds.length) await audit.record({ sub: input.sub, via: input.via, action: 'app.removed', groupId: input.groupId, detail });
    return removed || grantIds.length > 0;
  }
}
