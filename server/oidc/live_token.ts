// Whether a verified Plaza access token still stands for something: a user's token its grant, a client's own
// (client credentials) token, which has no grant, the client's registration and the scopes it still holds.
import type Provider from 'oidc-provider';
import { InvalidTokenError, type AccessTokenClaims } from './access_token.ts';
import { ADMIN_SCOPE } from './scopes.ts';

export type TokenLiveCheck = (claims: AccessTokenClaims) => Promise<void>;

export function tokenLiveCheck(provider: Provider, liveGrant: (grantId: string) => Promise<unknown>): TokenLiveCheck {
  return async (claims) => {
    if (claims.grant_id) {
      if (await liveGrant(claims.grant_id) === undefined) throw new InvalidTokenError('the grant behind this access token was revoked');
      return;
    }
    const client = await provider.Client.find(claims.client_id);
    if (!client) throw new InvalidTokenError('the client of this token is no longer registered');
    // Without registered scopes a client may ask for any but admin, which must always be registered.
    const registered = client.scope?.split(' ');
    const lost = claims.scope?.split(' ').filter((s) => (registered ? !registered.includes(s) : s === ADMIN_SCOPE)) ?? [];
    if (lost.length) throw new InvalidTokenError(`the client of this token no longer holds ${lost.join(' ')}`);
  };
}
