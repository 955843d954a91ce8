// What Plaza says about an account: the claims of each OpenID scope, and the one way it authenticates users.
import type { Account } from './accounts.ts';
import { isFirstParty } from './first_party.ts';
import { UNION_ID } from './subjects.ts';

/**
 * oidc-provider's `claims`: only what accounts truthfully hold (no picture, locale or given name to give); the union id
 * only a developer's own apps get.
 */
export const SCOPE_CLAIMS = {
  acr: null,
  openid: ['sub', UNION_ID],
  profile: ['name', 'preferred_username', 'updated_at'],
  email: ['email', 'email_verified'],
};

/**
 * The claims of an account an app may learn: all of them for Plaza's own apps, else only those of the OpenID scopes
 * and the claims (OIDC Core 5.5) the user granted it (an action or interaction grant has none), whichever way the app
 * asks (ID token, `/api/me`).
 */
export function releasedClaims(metadata: Record<string, unknown>, granted: { scope?: string; claims?: string[] } = {}): ReadonlySet<string> {
  const scopes = isFirstParty(metadata) ? Object.keys(SCOPE_CLAIMS) : granted.scope?.split(' ') ?? [];
  return new Set([...scopes.flatMap((scope) => (SCOPE_CLAIMS as Record<string, string[] | null>)[scope] ?? []), ...granted.claims ?? []]);
}

/** The acr of a sign-in with username and password, Plaza's only authentication method. */
export const PASSWORD_ACR = 'urn:plaza:acr:password';

export function accountClaims(account: Account): { sub: string; [claim: string]: unknown } {
  return {
    sub: account.id,
    name: account.name,
    preferred_username: account.username,
    ...(account.updatedAt ? { updated_at: Math.floor(account.updatedAt / 1000) } : {}),
    // Plaza cannot verify an address yet, so none is claimed verified.
    ...(account.email ? { email: account.email, email_verified: false } : {}),
  };
}
