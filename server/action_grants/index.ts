// Action grants: a user's action in a group grants an app a token to act as that user, only there, only for those actions.
import type { CallbackQueue } from '../async/index.ts';
import type { PlazaConfig } from '../config/index.ts';
import type { Capability, Oidc } from '../oidc/index.ts';
import type { AuditLog, Groups } from '../social/index.ts';
import type { Store } from '../store/index.ts';
import { describeAction } from './action_words.ts';
import { GroupActions } from './group_actions.ts';
import { GroupApps } from './group_apps.ts';
import { ACTION_TICKET_TYPE, detailsOf, redeemTicketHandler } from './redeem_ticket.ts';
import { ActionTickets } from './tickets.ts';

export { GRANTABLE_ACTIONS, type GroupActions, type GroupAppView } from './group_actions.ts';
export { describeAction } from './action_words.ts';
export { ACTION_TICKET_TYPE } from './redeem_ticket.ts';
/** For tooling (the benchmark) that needs many tickets without the webhook round trip. */
export { ACTION_TICKETS, ActionTickets, type ActionTicket } from './tickets.ts';

export interface ActionGrantsDeps {
  config: Pick<PlazaConfig, 'actionTicketTtl'>;
  store: Store;
  oidc: Pick<Oidc, 'clients' | 'revokeGrant' | 'apiTokens'>;
  groups: Groups;
  audit: AuditLog;
  callbacks: CallbackQueue;
}

export interface ActionGrantsCapability extends Capability {
  groupActions: GroupActions;
}

/** Builds the capability and what it plugs into the OP: the ticket exchange, the token claims, the words on My apps. */
export function createActionGrants(deps: ActionGrantsDeps): ActionGrantsCapability {
  const { groups } = deps;
  const apps = new GroupApps(deps.store);
  const tickets = new ActionTickets(deps.store, deps.config.actionTicketTtl);
  const groupActions = new GroupActions({ ...deps, apps, tickets });
  return {
    groupActions,
    grantRevoked: (grantId) => groupActions.grantRevoked(grantId),
    exchanges: { [ACTION_TICKET_TYPE]: redeemTicketHandler({ ...deps, apps, tickets }) },
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
        words.set(id, grant.actions.map((action) => describeAction(action, group, t)));
      }
      return words;
    },
  };
}
