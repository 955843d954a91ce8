// RFC 8693 exchange of a ticket for an access token that acts as the user, as far as the operation behind the
// ticket granted: `act` names the app, `authorization_details` the group and the actions (RFC 9396), and for an
// interaction the one message it answers, its lifetime and its number of uses, with no refresh token.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { exchangeError, TOKEN_TYPES, type ExchangeRequest, type Oidc } from '../oidc/index.ts';
import type { AuditLog, Groups } from '../social/index.ts';
import { GROUP_INTERACTION, GROUP_MESSAGES } from '../social/index.ts';
import type { GroupApps } from './group_apps.ts';
import { OPERATIONS } from './operations.ts';
import { TicketRejected, type ActionTickets, type GrantTerms } from './tickets.ts';

export interface RedeemDeps {
  oidc: Pick<Oidc, 'revokeGrant' | 'apiTokens'>;
  tickets: ActionTickets;
  apps: GroupApps;
  groups: Groups;
  audit: AuditLog;
}

const invalidGrant = (description: string) => exchangeError('invalid_grant', description);

/** The RFC 9396 `authorization_details` of a grant, by what its operation grants. */
export function detailsOf(grant: GrantTerms) {
  if (grant.inReplyTo !== undefined) {
    return [{ type: GROUP_INTERACTION, group_id: grant.groupId, in_reply_to: grant.inReplyTo, actions: grant.actions, max_uses: grant.maxUses }];
  }
  return [{ type: GROUP_MESSAGES, group_id: grant.groupId, actions: grant.actions }];
}

/** The handler for one ticket type; a ticket of the other type is unknown to it. */
export function redeemTicketHandler(deps: RedeemDeps, ticketType: string) {
  return async (ctx: KoaContextWithOIDC, { subjectToken, proof }: ExchangeRequest): Promise<void> => {
    const params = ctx.oidc.params as Record<string, string | undefined>;
    const client = ctx.oidc.client!;
    if (params.requested_token_type && params.requested_token_type !== TOKEN_TYPES.accessToken) {
      throw new errors.InvalidRequest('a ticket can only be exchanged for an access token');
    }
    let ticket;
    try {
      ticket = await deps.tickets.redeem(subjectToken, client.clientId, ticketType);
    } catch (err) {
      if (!(err instanceof TicketRejected)) throw err;
      if (err.firstGrantId) {
        // Only that grant goes: forgotten first, the revocation is not taken for the user taking the app back.
        await deps.apps.forgetGrant(err.firstGrantId);
        await deps.oidc.revokeGrant(err.firstGrantId);
      }
      throw invalidGrant(err.message);
    }
    const operation = OPERATIONS[ticket.operation ?? 'app.added'];
    if (!await deps.groups.isMember(ticket.groupId, ticket.sub)) throw invalidGrant('the user is no longer a member of the group');
    if (ticket.inReplyTo !== undefined && !(await deps.apps.respondersIn(ticket.groupId)).includes(client.clientId)) {
      throw invalidGrant('the app may no longer respond in this group');
    }

    const ttl = ticket.tokenTtl;
    const grantId = await deps.oidc.apiTokens.createGrant(ctx, ticket.sub, '', '', ttl);
    const { id: _ticketId, expiresAt: _ticketExpiry, redeemedAt: _redeemed, grantId: _none, ...terms } = ticket;
    await deps.apps.recordGrant({ ...terms, id: grantId, clientId: client.clientId, ...(ttl ? { expiresAt: Date.now() + ttl * 1000 } : {}) });
    // A removal forgets the ticket before it scans for grants: either it finds the grant just recorded, or this sees the ticket gone.
    if (!await deps.tickets.recordGrant(ticket, grantId)) {
      await deps.apps.forgetGrant(grantId);
      await deps.oidc.revokeGrant(grantId);
      throw invalidGrant('the app was removed from the group, or the user left it, while the ticket was redeemed');
    }
    ctx.body = await deps.oidc.apiTokens.issue(ctx, {
      grantId, accountId: ticket.sub, scope: '', dpopJkt: proof?.jkt, refresh: ttl === undefined, ttl,
      response: { authorization_details: detailsOf(ticket) },
    });
    await deps.audit.record({
      sub: ticket.sub, via: client.clientId, action: ticket.inReplyTo === undefined ? 'app.token_issued' : 'interaction.token_issued', groupId: ticket.groupId,
      detail: ticket.inReplyTo === undefined ? ticket.actions.join(' ') : `${operation.name}: ${ticket.actions.join(' ')} answering ${ticket.inReplyTo}, ${ticket.maxUses} uses`,
    });
  };
}
