// Verifies Plaza's own RFC 9068 JWT access tokens: signature with a Plaza key, `typ: at+jwt`, issuer, audience, expiry,
// and that the token was not revoked.
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { HttpError } from '../http/index.ts';
import type { RevokedTokens } from './revoked_tokens.ts';

export interface AccessTokenClaims extends JWTPayload {
  client_id: string;
  jti: string;
  exp: number;
  scope?: string;
  cnf?: { jkt?: string };
  grant_id?: string;
  authorization_details?: unknown;
  act?: { sub: string };
}

export class InvalidTokenError extends HttpError {
  override name = 'InvalidTokenError';
  constructor(description: string) {
    super(401, description, {
      code: 'invalid_token',
      headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description.replace(/"/g, "'")}"` },
    });
  }
}

export class InsufficientScopeError extends HttpError {
  override name = 'InsufficientScopeError';
  constructor(scope: string) {
    super(403, `this request needs the ${scope} scope`, {
      code: 'insufficient_scope',
      headers: { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
    });
  }
}

const SIGNING_ALGS = ['ES256', 'RS256'];

/** Verifies a token for the audience (or any one of the audiences). */
export type AccessTokenVerifier = (token: string, audience: string | string[]) => Promise<AccessTokenClaims>;

export function accessTokenVerifier(issuer: string, signingKeys: JWK[], revoked: RevokedTokens): AccessTokenVerifier {
  const keySet = createLocalJWKSet({ keys: signingKeys });
  return async (token, audience) => {
    let payload;
    try {
      ({ payload } = await jwtVerify<AccessTokenClaims>(token, keySet, {
        issuer, audience, typ: 'at+jwt', algorithms: SIGNING_ALGS, requiredClaims: ['exp', 'jti', 'client_id'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new InvalidTokenError('the access token has expired');
      if (err instanceof joseErrors.JOSEError) throw new InvalidTokenError('the access token is not valid here');
      throw err;
    }
    if (await revoked.isRevoked(payload.jti)) throw new InvalidTokenError('the access token was revoked');
    return payload;
  };
}
