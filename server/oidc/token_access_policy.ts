// Who may learn about a token (RFC 7662) and who may revoke it (RFC 7009), for oidc-provider's opaque tokens and
// Plaza's JWT access tokens alike: the token's own client, and for introspection the resource servers of its audience.
import { errors, type Client } from 'oidc-provider';
import { metadataOf } from './client_metadata.ts';

/** Client metadata: the audiences (resource indicators) whose tokens this client, a resource server, may introspect. */
export const RESOURCE_SERVER_FIELD = 'plaza_resource_server';

/** Only an operator registers clients, and only for resources Plaza issues tokens for. */
export function validateResourceServers(value: unknown, audiences: string[]): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((a) => typeof a !== 'string' || !audiences.includes(a))) {
    throw new errors.InvalidClientMetadata(`${RESOURCE_SERVER_FIELD} must list resource indicators of Plaza: ${audiences.join(', ')}`);
  }
}

export interface TokenParties {
  clientId?: string;
  aud?: string | string[];
}

export function mayIntrospect(client: Client, token: TokenParties): boolean {
  if (token.clientId === client.clientId) return true;
  const servedAudiences = metadataOf(client)[RESOURCE_SERVER_FIELD];
  if (!Array.isArray(servedAudiences)) return false;
  return [token.aud ?? []].flat().some((aud) => servedAudiences.includes(aud));
}

/** Another client's token: a public client learns nothing (RFC 7009 §2.2 answers 200), a confidential one is refused. */
export function mayRevoke(client: Client, token: TokenParties): boolean {
  if (token.clientId === client.clientId) return true;
  if (client.clientAuthMethod === 'none') return false;
  throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
}
