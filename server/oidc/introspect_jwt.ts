// RFC 7662 for a Plaza JWT access token: active only while its signature, expiry and revocation record say so and
// what it stands for is still live (the grant, or the client and its scopes), and only to whom may know.
import type { Client } from 'oidc-provider';
import { InvalidTokenError, type AccessTokenVerifier } from './access_token.ts';
import type { TokenLiveCheck } from './live_token.ts';
import { mayIntrospect } from './token_access_policy.ts';

export function introspectJwt(deps: { verify: AccessTokenVerifier; audiences: string[]; checkLive: TokenLiveCheck }) {
  return async (client: Client, token: string): Promise<Record<string, unknown>> => {
    try {
      const claims = await deps.verify(token, deps.audiences);
      if (!mayIntrospect(client, { clientId: claims.client_id, aud: claims.aud })) return { active: false };
      await deps.checkLive(claims);
      return { ...claims, active: true, token_type: claims.cnf?.jkt ? 'DPoP' : 'Bearer' };
    } catch (err) {
      if (err instanceof InvalidTokenError) return { active: false };
      throw err;
    }
  };
}
