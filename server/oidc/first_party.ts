// First-party clients: Plaza's own apps, marked `plaza_first_party: true` by the operator. Adding and removing apps
// in a user's groups is the user's own action in Plaza, so only they may hold `groups:apps`, and no app marks itself.
import { errors } from 'oidc-provider';
import { API_SCOPES } from './scopes.ts';

export const FIRST_PARTY = 'plaza_first_party';

/** Scopes that let an app act in Plaza's place; a third-party client is never granted them. */
const FIRST_PARTY_SCOPES = new Set(['groups:apps']);

const OPERATOR_ONLY = `${FIRST_PARTY} is set by the operator only`;

export function isFirstParty(metadata: Record<string, unknown> | undefined): boolean {
  return metadata?.[FIRST_PARTY] === true;
}

/** The Plaza API scopes this client may be granted, whatever its registered `scope` says. */
export function apiScopesFor(metadata: Record<string, unknown>): string[] {
  return isFirstParty(metadata) ? API_SCOPES : API_SCOPES.filter((s) => !FIRST_PARTY_SCOPES.has(s));
}

/**
 * The `plaza_first_party` validator branch: a boolean, and never through oidc-provider's own registration
 * endpoints (RFC 7591 dynamic registration, RFC 7592 management), the only callers that pass a request.
 */
export function validateFirstPartyMark(ctx: unknown, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'boolean') throw new errors.InvalidClientMetadata(`${FIRST_PARTY} must be a boolean`);
  if (ctx) throw new errors.InvalidClientMetadata(OPERATOR_ONLY);
}
