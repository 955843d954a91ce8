// Verifies Plaza's own RFC 9068 JWT access tokens: signature with a Plaza key, `typ: at+jwt`, issuer, audience, expiry,
// and that the token was not revoked.
import type { KeyObject } from 'node:crypto';
import type { JWK, JWTPayload } from 'jose';
import { HttpError } from '../http/index.ts';
import { checkClaims, checkHeader, decodeJws, JwsError, JwtExpiredError, publicKeyOf, signatureValid, type DecodedJws } from './jws.ts';
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

/** Whether one of the keys made the signature, tried one after another. */
async function someSignatureValid(jws: DecodedJws, keys: KeyObject[], alg: string): Promise<boolean> {
  for (const key of keys) if (await signatureValid(jws, key, alg)) return true;
  return false;
}

/** Verifies a token for the audience (or any one of the audiences). */
export type AccessTokenVerifier = (token: string, audience: string | string[]) => Promise<AccessTokenClaims>;

export function accessTokenVerifier(issuer: string, signingKeys: JWK[], revoked: RevokedTokens): AccessTokenVerifier {
  const keys: { kid?: string; key: KeyObject }[] = signingKeys.map((jwk) => ({ kid: jwk.kid, key: publicKeyOf(jwk) }));
  return async (token, audience) => {
    let payload;
    try {
      const jws = decodeJws(token);
      const checks = { issuer, audience, typ: 'at+jwt', algorithms: SIGNING_ALGS, requiredClaims: ['exp', 'jti', 'client_id'] };
      const alg = checkHeader(jws, checks);
      const candidates = keys.filter((k) => jws.header.kid === undefined || k.kid === jws.header.kid);
      if (!await someSignatureValid(jws, candidates.map(({ key }) => key), alg)) throw new JwsError('signature verification failed');
      checkClaims(jws.payload, checks);
      payload = jws.payload as AccessTokenClaims;
    } catch (err) {
      if (err instanceof JwtExpiredError) throw new InvalidTokenError('the access token has expired');
      if (err instanceof JwsError) throw new InvalidTokenError('the access token is not valid here');
      throw err;
    }
    if (await revoked.isRevoked(payload.jti)) throw new InvalidTokenError('the access token was revoked');
    return payload;
  };
}
