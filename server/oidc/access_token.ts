// Verifies Plaza's own RFC 9068 JWT access tokens: signature with a Plaza key, `typ: at+jwt`, issuer, audience, expiry.
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { HttpError } from '../http/index.ts';

export interface AccessTokenClaims extends JWTPayload {
  client_id: string;
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

export type AccessTokenVerifier = (token: string, audience: string) => Promise<AccessTokenClaims>;

export function accessTokenVerifier(issuer: string, signingKeys: JWK[]): AccessTokenVerifier {
  const keySet = createLocalJWKSet({ keys: signingKeys });
  return async (token, audience) => {
    try {
      const { payload } = await jwtVerify<AccessTokenClaims>(token, keySet, {
        issuer, audience, typ: 'at+jwt', algorithms: SIGNING_ALGS, requiredClaims: ['exp', 'client_id'],
      });
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new InvalidTokenError('the access token has expired');
      if (err instanceof joseErrors.JOSEError) throw new InvalidTokenError('the access token is not valid here');
      throw err;
    }
  };
}
