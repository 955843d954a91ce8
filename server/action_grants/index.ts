// Action grants: a user's operation in a group grants an app a token to act as that user, only there, only for what
// the operation allows. The operations are one table (operations.ts): adding an app with standing actions, and the
// interaction triggers (a command, a mention, a share) that let an app answer one message.
import type { CallbackQueue } from '../async/index.ts';
import type { PlazaConfig } from '../config/index.ts';
import type { Capability, Oidc } from '../oidc/index.ts';
import type { AuditLog, GroupAppActions, Groups, Messages } from '../social/index.ts';
import type { Store } from '../store/index.ts';
import { describeAction, describeInteraction } from './action_words.ts';
import { GroupActions } from './group_actions.ts';
import { GroupApps } from './group_apps.ts';
import { Interactions } from './interactions.ts';
import { ACTION_TICKET_TYPE, INTERACTION_TICKET_TYPE } from './operations.ts';
import { commandIn } from './triggers.ts';
import { detailsOf, redeemTicketHandler } from './redeem_ticket.ts';
import { ActionTickets } from './tickets.ts';

export { GRANTABLE_ACTIONS, type GroupActions } from './group_actions.ts';
export { describeAction } from './action_words.ts';
export { ACTION_TICKET_TYPE, INTERACTION_TICKET_TYPE, OPERATIONS, type OperationName } from './operations.ts';
export { checkTriggers, INTERACTION_ACTIONS, TRIGGERS_FIELD, TRIGGERS_SCHEMA, type Triggers } from './triggers.ts';
export type { Interactions } from './interactions.ts';
/** For tooling (the benchmark) that needs many tickets without the webhook round trip. */
export { ACTION_TICKETS, ActionTickets, type ActionTicket } from './tickets.ts';

export interface ActionGrantsDeps {
  config: Pick<PlazaConfig, 'actionTicketTtl' | 'interactionTicketTtl' | 'interactionTokenTtl' | 'interactionMaxUses'>;
  store: Store;
  oidc: Pick<Oidc, 'clients' | 'revokeGrant' | 'apiTokens' | 'subjects'>;
  groups: Groups;
  messages: Messages;
  audit: AuditLog;
  callbacks: CallbackQueue;
}

export interface ActionGrantsCapability extends Capability {
  groupActions: GroupActions;
  interactions: Interactions;
  /** What a member does with apps in a group, for the social API and pages. */
  userActions: GroupAppActions;
}

/** Builds the capability and what it plugs into the OP: the ticket exchanges, the token claims, the words on My apps. */
export function createActionGrants(deps: ActionGrantsDeps): ActionGrantsCapability {
  const { groups } = deps;
  const apps = new GroupApps(deps.store);
  const tickets = new ActionTickets(deps.store, deps.config);
  const groupActions = new GroupActions({ ...deps, apps, tickets });
  const interactions = new Interactions({ ...deps, apps, tickets });
  const redeem = { ...deps, apps, tickets };
  const commandOf = async (groupId: string, messageId: string) => {
    const message = await deps.messages.get(groupId, messageId);
    return message && commandIn(message.text)?.name;
  };
  return {
    groupActions,
    interactions,
    userActions: {
      addAppInput: groupActions.addAppInput,
      shareInput: interactions.shareInput,
      addApp: (input) => groupActions.addApp(input),
      listApps: (groupId, sub) => groupActions.listApps(groupId, sub),
      removeApp: (input) => groupActions.removeApp(input),
      share: (input) => interactions.share(input),
      shareTargets: (groupId) => interactions.shareTargets(groupId),
    },
    grantRevoked: (grantId) => groupActions.grantRevoked(grantId),
    exchanges: { [ACTION_TICKET_TYPE]: redeemTicketHandler(redeem, ACTION_TICKET_TYPE), [INTERACTION_TICKET_TYPE]: redeemTicketHandler(redeem, INTERACTION_TICKET_TYPE) },
    async tokenClaims(grantId) {
      const grant = await apps.grant(grantId);
      return grant && { act: { sub: grant.clientId }, authorization_details: detailsOf(grant) };
    },
    async grantDescriber(grantIds, t) {
      const words = new Map<string, string[]>();
      for (const id of grantIds) {
        const grant = await apps.grant(id);
        if (!grant) continue;
        const group = (await groups.get(grant.groupId))?.name ?? grant.groupId;
        words.set(id, grant.inReplyTo === undefined
          ? grant.actions.map((action) => describeAction(action, group, t))
          : [describeInteraction({ operation: grant.operation, command: await commandOf(grant.groupId, grant.inReplyTo), group, maxUses: grant.maxUses ?? 0, expiresAt: grant.expiresAt ?? 0 }, t)]);
      }
      return words;
    },
  };
}
