// Every scope Plaza knows; the words the consent page shows for each are in the message catalogues (`scope.*`, `claim.*`).
import { isMessageKey, type Translate } from '../http/index.ts';
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const API_SCOPE_NAMES = ['groups:read', 'messages:read', 'messages:post', 'groups:apps'] as const;
/** A scope of Plaza's API; what the grant check calls a permission. */
export type ApiScope = typeof API_SCOPE_NAMES[number];
export const API_SCOPES: string[] = [...API_SCOPE_NAMES];
export const ADMIN_SCOPE = 'admin';

/** A sign-in gets a refresh token only when it asked for `offline_access`; a grant without `openid` always does. */
export function getsRefreshToken(scopes: ReadonlySet<string>): boolean {
  return scopes.has('offline_access') || !scopes.has('openid');
}

/** The words for a scope, in the reader's language; a scope Plaza has no words for is shown as it is. */
export function describeScope(scope: string, t: Translate): string {
  const key = `scope.${scope}`;
  return isMessageKey(key) ? t(key) : scope;
}

export function describeClaim(claim: string, t: Translate): string {
  const key = `claim.${claim}`;
  return isMessageKey(key) ? t(key) : claim;
}
