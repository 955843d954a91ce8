// Every scope Plaza knows, with the words the consent page shows for it.
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

const DESCRIPTIONS: Record<string, string> = {
  openid: 'Know who you are (your Plaza account identifier)',
  profile: 'See your name and username',
  email: 'See your email address',
  offline_access: 'Stay connected when you are not using it',
  'groups:read': 'See the groups you belong to',
  'messages:read': 'Read messages in your groups',
  'messages:post': 'Post messages in your groups as you',
  'groups:apps': 'Add and remove apps in your groups',
  admin: 'Administer Plaza',
};

const CLAIMS: Record<string, string> = {
  sub: 'Your account identifier',
  name: 'Your name',
  preferred_username: 'Your username',
  updated_at: 'When your profile last changed',
  email: 'Your email address',
  email_verified: 'Whether your email address was verified',
};

export function describeScope(scope: string): string {
  return DESCRIPTIONS[scope] ?? scope;
}

export function describeClaim(claim: string): string {
  return CLAIMS[claim] ?? claim;
}
