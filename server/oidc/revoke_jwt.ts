// RFC 7009 for a Plaza JWT access token: verified, the caller's own, then remembered as revoked until it expires.
// An invalid or expired token needs nothing done (§2.2: still a 200).
import type { Client } from 'oidc-provider';
import { InvalidTokenError, type AccessTokenVerifier } from './access_token.ts';
import type { RevokedTokens } from './revoked_tokens.ts';
import { mayRevoke } from './token_access_policy.ts';

export function revokeJwt(deps: { verify: AccessTokenVerifier; audiences: string[]; revoked: RevokedTokens }) {
  return async (client: Client, token: string): Promise<void> => {
    let claims;
    try {
      claims = await deps.verify(token, deps.audiences);
    } catch (err) {
      if (err instanceof InvalidTokenError) return;
      throw err;
    }
    if (!mayRevoke(client, { clientId: claims.client_id, aud: claims.aud })) return;
    await deps.revoked.revoke(claims.jti, claims.exp);
  };
}
