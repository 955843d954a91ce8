// RFC 9449 DPoP proof checks, for the places oidc-provider does not cover: Plaza's own grants at the token
// endpoint and the protected API. Seen `jti`s are kept in the store, so a replay to another process fails too.
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, errors as joseErrors, jwtVerify, type JWK } from 'jose';
import type { Doc, Store } from '../store/index.ts';

export const DPOP_ALGS = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'];

export class DpopProofError extends Error {
  override name = 'DpopProofError';
  readonly error = 'invalid_dpop_proof';
}

export interface DpopProof {
  jkt: string;
  jwk: JWK;
  jti: string;
}

export interface ProofRequest {
  /** The DPoP header(s) as received; more than one is an error. */
  header: string | string[] | undefined;
  method: string;
  url: string;
  /** At a resource server: the access token the proof must be bound to (`ath`). */
  accessToken?: string;
}

interface SeenProof extends Doc {}

export interface DpopConfig {
  /** How far `iat` may be from now, seconds. */
  iatWindowSeconds: number;
}

function withoutQuery(url: string): string | undefined {
  const parsed = URL.parse(url);
  if (!parsed) return undefined;
  parsed.hash = '';
  parsed.search = '';
  return parsed.href;
}

export class DpopVerifier {
  readonly #seen;
  readonly #config: DpopConfig;

  constructor(store: Store, config: DpopConfig) {
    this.#seen = store.collection<SeenProof>({ name: 'dpop_proofs' });
    this.#config = config;
  }

  /** Verifies a proof; returns undefined when the request carried none. */
  async verify(request: ProofRequest): Promise<DpopProof | undefined> {
    const { header } = request;
    if (header === undefined) return undefined;
    if (Array.isArray(header) || header.includes(',')) throw new DpopProofError('exactly one DPoP header is allowed');
    let payload;
    let protectedHeader;
    try {
      ({ payload, protectedHeader } = await jwtVerify(header, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGS }));
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) throw new DpopProofError(`the DPoP proof is invalid: ${err.message}`);
      throw err;
    }
    const jwk = protectedHeader.jwk as JWK;
    if (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 256) throw new DpopProofError('the DPoP proof needs a jti');
    if (typeof payload.iat !== 'number') throw new DpopProofError('the DPoP proof needs an iat');
    if (Math.abs(Date.now() / 1000 - payload.iat) > this.#config.iatWindowSeconds) throw new DpopProofError('the DPoP proof iat is not recent enough');
    if (payload.htm !== request.method) throw new DpopProofError('the DPoP proof htm does not match the request method');
    if (typeof payload.htu !== 'string' || withoutQuery(payload.htu) !== withoutQuery(request.url)) {
      throw new DpopProofError('the DPoP proof htu does not match the request URL');
    }
    if (request.accessToken !== undefined) {
      const ath = createHash('sha256').update(request.accessToken).digest('base64url');
      if (payload.ath !== ath) throw new DpopProofError('the DPoP proof ath does not match the access token');
    }
    const jkt = await calculateJwkThumbprint(jwk);
    const seenId = createHash('sha256').update(`${jkt}:${payload.jti}`).digest('base64url');
    const fresh = await this.#seen.insert({ id: seenId, expiresAt: Date.now() + 2 * this.#config.iatWindowSeconds * 1000 });
    if (!fresh) throw new DpopProofError('the DPoP proof was already used');
    return { jkt, jwk, jti: payload.jti };
  }
}
