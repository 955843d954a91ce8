// The one field policy for registrations: what only the operator may set, whichever way a developer registers
// (the developer console, RFC 7591 dynamic registration and RFC 7592 management).
import { FIRST_PARTY } from './first_party.ts';
import { ADMIN_SCOPE } from './scopes.ts';
import { RESOURCE_SERVER_FIELD } from './token_access_policy.ts';

/** Who registers a client: the operator (admin CLI and API, seed files), or the app's developer (self-service). */
export type Registrar = 'operator' | 'developer';

/** Marking an app Plaza's own, tying it to a host platform, letting it read others' tokens. */
export const OPERATOR_ONLY_FIELDS = [FIRST_PARTY, 'plaza_hosts', 'plaza_host_app_ids', RESOURCE_SERVER_FIELD] as const;

/** Why a registration may not carry this metadata, if it may not. */
export function operatorOnlyRefusal(metadata: Record<string, unknown>, registrar: Registrar): string | undefined {
  if (registrar === 'operator') return undefined;
  const field = OPERATOR_ONLY_FIELDS.find((f) => metadata[f] !== undefined);
  if (field) return `${field} is set by the operator only`;
  const scope = metadata.scope;
  if (typeof scope === 'string' && scope.split(' ').includes(ADMIN_SCOPE)) return `the ${ADMIN_SCOPE} scope is granted by the operator only`;
  return undefined;
}
