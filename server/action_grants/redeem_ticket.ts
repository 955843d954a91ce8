// RFC 8693 exchange of an action ticket for an access token that acts as the user, in one group, for the
// actions the user allowed: `act` names the app, `authorization_details` the group and the actions.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { exchangeError, TOKEN_TYPES, type ExchangeRequest, type Oidc } from '../oidc/index.ts';
import type { AuditLog, Groups } from '../social/index.ts';
import { GROUP_MESSAGES } from '../social/index.ts';
import type { ActionGrant, GroupApps } from './group_apps.ts';
import { TicketRejected, type ActionTickets } from './tickets.ts';

export const ACTION_TICKET_TYPE = 'urn:plaza:token-type:action-ticket';

export interface RedeemDeps {
  oidc: Pick<Oidc, 'revokeGrant' | 'apiTokens'>;
  tickets: ActionTickets;
  apps: GroupApps;
  groups: Groups;
  audit: AuditLog;
}

const invalidGrant = (description: string) => exchangeError('invalid_grant', description);

export function detailsOf(grant: Pick<ActionGrant, 'groupId' | 'actions'>) {
  return [{ type: GROUP_MESSAGES, group_id: grant.groupId, actions: grant.actions }];
}

export function redeemTicketHandler(deps: RedeemDeps) {
  return async (ctx: KoaContextWithOIDC, { subjectToken, proof }: ExchangeRequest): Promise<void> => {
    const params = ctx.oidc.params as Record<string, string | undefined>;
    const client = ctx.oidc.client!;
    if (params.requested_token_type && params.requested_token_type !== TOKEN_TYPES.accessToken) {
      throw new errors.InvalidRequest('an action ticket can only be exchanged for an access token');
    }
    let ticket;
    try {
      ticket = await deps.tickets.redeem(subjectToken, client.clientId);
    } catch (err) {
      if (!(err instanceof TicketRejected)) throw err;
      if (err.firstGrantId) {
        // Only that grant goes: forgotten first, the revocation is not taken for the user taking the app back.
        await deps.apps.forgetGrant(err.firstGrantId);
        await deps.oidc.revokeGrant(err.firstGrantId);
      }
      throw invalidGrant(err.message);
    }
    if (!await deps.groups.isMember(ticket.groupId, ticket.sub)) throw invalidGrant('the user is no longer a member of the group');

    const grantId = await deps.oidc.apiTokens.createGrant(ctx, ticket.sub, '');
    await deps.apps.recordGrant({ id: grantId, sub: ticket.sub, clientId: client.clientId, groupId: ticket.groupId, actions: ticket.actions });
    // A removal forgets the ticket before it scans for grants: either it finds the grant just recorded, or this sees the ticket gone.
    if (!await deps.tickets.recordGrant(ticket, grantId)) {
      await deps.apps.forgetGrant(grantId);
      await deps.oidc.revokeGrant(grantId);
      throw invalidGrant('the app was removed from the group, or the user left it, while the ticket was redeemed');
    }
    ctx.body = await deps.oidc.apiTokens.issue(ctx, {
      grantId, accountId: ticket.sub, scope: '', dpopJkt: proof?.jkt, refresh: true,
      response: { authorization_details: detailsOf(ticket) },
    });
    await deps.audit.record({ sub: ticket.sub, via: client.clientId, action: 'app.token_issued', groupId: ticket.groupId, detail: ticket.actions.join(' ') });
  };
}
