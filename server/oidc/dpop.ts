// RFC 9449 DPoP proof checks, for the places oidc-provider does not cover: Plaza's own grants at the token
// endpoint and the protected API. Seen `jti`s are kept in the store, in the record oidc-provider's checks keep
// theirs, so a proof is used once whichever check sees it, in whichever process.
import { createHmac, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { sha256url, sharedSecret, type SecretBox, type Store } from '../store/index.ts';
import { checkClaims, checkHeader, decodeJws, JwsError, publicKeyOf, signatureValid } from './jws.ts';
import type { ReplayRecord } from './replay_record.ts';

export const DPOP_ALGS = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'];

export class DpopProofError extends Error {
  override name = 'DpopProofError';
  readonly code: 'invalid_dpop_proof' | 'use_dpop_nonce' = 'invalid_dpop_proof';
}

/** The proof needs a fresh server nonce (RFC 9449 section 8): the client retries with `nonce`. */
export class DpopNonceError extends DpopProofError {
  override name = 'DpopNonceError';
  override readonly code = 'use_dpop_nonce';
  readonly nonce: string;
  constructor(message: string, nonce: string) {
    super(message);
    this.nonce = nonce;
  }
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
  /** The client the proof is used by (the token's, or the one at the token endpoint): replays are told apart per client. */
  clientId: string;
}

export interface DpopConfig {
  /** How far `iat` may be from now, seconds. */
  iatWindowSeconds: number;
  /** Whether every proof must carry a server nonce. */
  requireNonce: boolean;
}

/** The RFC 7638 members of each key type, in the order the thumbprint hashes them. */
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] };

/** A client signs its proofs with one key for a long time: each key is imported and thumbprinted once. */
const KEY_CACHE_SIZE = 1000;

interface ProofKey {
  key: KeyObject;
  jkt: string;
  /** The key's public members. */
  jwk: JWK;
}

/** The public key a proof carries, and its RFC 7638 thumbprint. */
function proofKey(jwk: unknown, cache: Map<string, ProofKey>): ProofKey {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new JwsError('the jwk header parameter must be a JSON object');
  if ('d' in jwk || 'p' in jwk || 'k' in jwk) throw new JwsError('the jwk header parameter must be a public key');
  const members = THUMBPRINT_MEMBERS[(jwk as JWK).kty ?? ''];
  if (!members || members.some((m) => typeof (jwk as Record<string, unknown>)[m] !== 'string')) throw new JwsError('the jwk header parameter is not a supported public key');
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, (jwk as Record<string, unknown>)[m]])));
  let found = cache.get(canonical);
  if (!found) {
    found = { key: publicKeyOf(jwk as JWK), jkt: sha256url(canonical), jwk: JSON.parse(canonical) as JWK };
    if (cache.size >= KEY_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(canonical, found);
  }
  return found;
}

/** Nonces are derived from a shared secret and the time window, so any process can check any other's. */
const NONCE_WINDOW_MS = 5 * 60_000;

function withoutQuery(url: string): string | undefined {
  const parsed = URL.parse(url);
  if (!parsed) return undefined;
  parsed.hash = '';
  parsed.search = '';
  return parsed.href;
}

export class DpopVerifier {
  readonly #firstUse: ReplayRecord;
  readonly #config: DpopConfig;
  readonly #keys = new Map<string, ProofKey>();
  /** Also handed to oidc-provider, so its endpoints and Plaza's accept the same nonces. */
  readonly nonceSecret: Buffer;

  private constructor(firstUse: ReplayRecord, config: DpopConfig, nonceSecret: Buffer) {
    this.#firstUse = firstUse;
    this.#config = config;
    this.nonceSecret = nonceSecret;
  }

  static async create(store: Store, box: SecretBox, config: DpopConfig, firstUse: ReplayRecord): Promise<DpopVerifier> {
    return new DpopVerifier(firstUse, config, await sharedSecret(store, box, 'dpop-nonce'));
  }

  get requireNonce(): boolean {
    return this.#config.requireNonce;
  }

  #nonceFor(window: number): string {
    return createHmac('sha256', this.nonceSecret).update(String(window)).digest('base64url');
  }

  nonce(): string {
    return this.#nonceFor(Math.floor(Date.now() / NONCE_WINDOW_MS));
  }

  #nonceValid(nonce: unknown): boolean {
    const window = Math.floor(Date.now() / NONCE_WINDOW_MS);
    return typeof nonce === 'string' && (nonce === this.#nonceFor(window) || nonce === this.#nonceFor(window - 1));
  }

  /** Verifies a proof; returns undefined when the request carried none. */
  async verify(request: ProofRequest): Promise<DpopProof | undefined> {
    const { header } = request;
    if (header === undefined) return undefined;
    if (Array.isArray(header) || header.includes(',')) throw new DpopProofError('exactly one DPoP header is allowed');
    let payload;
    let key: ProofKey;
    try {
      const jws = decodeJws(header);
      const alg = checkHeader(jws, { typ: 'dpop+jwt', algorithms: DPOP_ALGS });
      key = proofKey(jws.header.jwk, this.#keys);
      if (!await signatureValid(jws, key.key, alg)) throw new JwsError('signature verification failed');
      checkClaims(jws.payload, { typ: 'dpop+jwt', algorithms: DPOP_ALGS });
      payload = jws.payload;
    } catch (err) {
      if (err instanceof JwsError) throw new DpopProofError(`the DPoP proof is invalid: ${err.message}`);
      throw err;
    }
    if (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 256) throw new DpopProofError('the DPoP proof needs a jti');
    if (typeof payload.iat !== 'number') throw new DpopProofError('the DPoP proof needs an iat');
    if (payload.nonce !== undefined || this.#config.requireNonce) {
      if (!this.#nonceValid(payload.nonce)) throw new DpopNonceError('the DPoP proof needs a fresh server nonce', this.nonce());
    }
    if (Math.abs(Date.now() / 1000 - payload.iat) > this.#config.iatWindowSeconds) throw new DpopProofError('the DPoP proof iat is not recent enough');
    if (payload.htm !== request.method) throw new DpopProofError('the DPoP proof htm does not match the request method');
    if (typeof payload.htu !== 'string' || withoutQuery(payload.htu) !== withoutQuery(request.url)) {
      throw new DpopProofError('the DPoP proof htu does not match the request URL');
    }
    if (request.accessToken !== undefined) {
      const ath = sha256url(request.accessToken);
      if (payload.ath !== ath) throw new DpopProofError('the DPoP proof ath does not match the access token');
    }
    const fresh = await this.#firstUse(request.clientId, payload.jti, Date.now() + 2 * this.#config.iatWindowSeconds * 1000);
    if (!fresh) throw new DpopProofError('the DPoP proof was already used');
    return { jkt: key.jkt, jwk: key.jwk, jti: payload.jti };
  }
}
