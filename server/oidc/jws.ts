// Compact JWS/JWT verification with node:crypto, synchronously: jose verifies through async WebCrypto, whose job
// dispatch costs more than the ECDSA itself on every API request. The checks are jose's jwtVerify's, written out:
// the algorithm allowed and fitting the key, no `crit`, `typ`, and the registered claims' types and times.
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { JWK, JWTPayload } from 'jose';

export class JwsError extends Error {
  override name = 'JwsError';
}

export class JwtExpiredError extends JwsError {
  override name = 'JwtExpiredError';
}

interface Algorithm {
  hash: string | null;
  kty: string;
  crv?: string;
  /** ECDSA: the length of r and of s in a JOSE signature, bytes. */
  half?: number;
  padding?: number;
}

const ALGORITHMS: Record<string, Algorithm> = {
  ES256: { hash: 'sha256', kty: 'EC', crv: 'P-256', half: 32 },
  ES384: { hash: 'sha384', kty: 'EC', crv: 'P-384', half: 48 },
  RS256: { hash: 'sha256', kty: 'RSA', padding: constants.RSA_PKCS1_PADDING },
  PS256: { hash: 'sha256', kty: 'RSA', padding: constants.RSA_PKCS1_PSS_PADDING },
  EdDSA: { hash: null, kty: 'OKP', crv: 'Ed25519' },
  Ed25519: { hash: null, kty: 'OKP', crv: 'Ed25519' },
};

const CURVES: Record<string, string> = { 'prime256v1': 'P-256', 'secp384r1': 'P-384' };

export interface DecodedJws {
  header: Record<string, unknown>;
  payload: JWTPayload;
  signingInput: string;
  signature: Buffer;
}

function jsonPart(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwsError(`the ${what} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwsError(`the ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Splits and decodes a compact JWT; nothing is trusted yet. */
export function decodeJws(token: string): DecodedJws {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) throw new JwsError('not a compact JWS');
  const header = jsonPart(parts[0], 'protected header');
  if (header.crit !== undefined) throw new JwsError('no crit header parameter is understood here');
  return { header, payload: jsonPart(parts[1], 'payload'), signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
}

/** Whether a public key can verify an algorithm (RSA keys of at least 2048 bits, as jose demands). */
export function keyFits(key: KeyObject, alg: string): boolean {
  const spec = ALGORITHMS[alg];
  if (!spec || key.type !== 'public') return false;
  const details = key.asymmetricKeyDetails ?? {};
  switch (spec.kty) {
    case 'EC': return key.asymmetricKeyType === 'ec' && CURVES[details.namedCurve ?? ''] === spec.crv;
    case 'RSA': return key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048;
    default: return key.asymmetricKeyType === 'ed25519';
  }
}

/** A DER INTEGER of an unsigned big-endian number: no leading zero bytes, one added when the top bit is set. */
function derInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const pad = bytes[start] >= 0x80 ? 1 : 0;
  const out = Buffer.alloc(2 + pad + bytes.length - start);
  out[0] = 0x02;
  out[1] = out.length - 2;
  bytes.copy(out, 2 + pad, start);
  return out;
}

/**
 * A JOSE ECDSA signature (r and s side by side, each `half` bytes) as DER, or undefined when its length is wrong:
 * node:crypto then takes the bare KeyObject, about a third faster than an options object naming ieee-p1363.
 */
function derSignature(raw: Buffer, half: number): Buffer | undefined {
  if (raw.length !== 2 * half) return undefined;
  const r = derInteger(raw.subarray(0, half));
  const s = derInteger(raw.subarray(half));
  // At most 2 × (2 + 1 + 48) bytes: the sequence's length always fits in one byte.
  return Buffer.concat([Buffer.from([0x30, r.length + s.length]), r, s]);
}

/** Whether each key fits each algorithm, once asked: a key's type and details are read from OpenSSL on every access. */
const fitting = new WeakMap<KeyObject, Map<string, boolean>>();

function keyFitsOnce(key: KeyObject, alg: string): boolean {
  let byAlg = fitting.get(key);
  if (!byAlg) fitting.set(key, byAlg = new Map());
  let fits = byAlg.get(alg);
  if (fits === undefined) byAlg.set(alg, fits = keyFits(key, alg));
  return fits;
}

/**
 * Checks the signature of a decoded JWS made with `alg` by `key`, on libuv's thread pool: the event loop spends
 * about 11 µs on it instead of 50-60, and serves other requests meanwhile.
 */
export function signatureValid(jws: DecodedJws, key: KeyObject, alg: string): Promise<boolean> {
  const spec = ALGORITHMS[alg];
  if (!spec || !keyFitsOnce(key, alg)) return Promise.resolve(false);
  const signature = spec.half ? derSignature(jws.signature, spec.half) : jws.signature;
  if (!signature) return Promise.resolve(false);
  const options = spec.kty === 'RSA' ? { key, padding: spec.padding, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : key;
  return new Promise((resolve) => {
    try {
      verify(spec.hash, Buffer.from(jws.signingInput), options, signature, (err, valid) => resolve(!err && valid));
    } catch {
      resolve(false);
    }
  });
}

/** A public key from a JWK; a JWK with private members is refused, not reduced to its public part. */
export function publicKeyOf(jwk: JWK): KeyObject {
  if (typeof jwk !== 'object' || jwk === null || 'd' in jwk || 'p' in jwk || 'k' in jwk) throw new JwsError('the key must be a public JWK');
  try {
    return createPublicKey({ key: jwk as never, format: 'jwk' });
  } catch {
    throw new JwsError('the key is not a valid JWK');
  }
}

const mediaType = (typ: string) => typ.toLowerCase().replace(/^application\//, '');

export interface ClaimChecks {
  typ: string;
  algorithms: readonly string[];
  issuer?: string;
  /** The token must name (one of) these in `aud`. */
  audience?: string | readonly string[];
  requiredClaims?: readonly string[];
}

/** The header's `typ` and `alg`, before any key is looked at. */
export function checkHeader(jws: DecodedJws, checks: ClaimChecks): string {
  const { alg, typ } = jws.header;
  if (typeof alg !== 'string' || !checks.algorithms.includes(alg) || !ALGORITHMS[alg]) throw new JwsError('the alg is not allowed');
  if (typeof typ !== 'string' || mediaType(typ) !== mediaType(checks.typ)) throw new JwsError('unexpected typ');
  return alg;
}

/** The registered claims, as jose's jwtVerify checks them (no clock tolerance). */
export function checkClaims(payload: JWTPayload, checks: ClaimChecks, now = Math.floor(Date.now() / 1000)): void {
  for (const claim of checks.requiredClaims ?? []) if (payload[claim] === undefined) throw new JwsError(`missing required "${claim}" claim`);
  if (checks.issuer !== undefined && payload.iss !== checks.issuer) throw new JwsError('unexpected "iss" claim value');
  if (checks.audience !== undefined) {
    const wanted = [checks.audience].flat();
    const named = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
    if (!named.some((aud) => wanted.includes(aud))) throw new JwsError('unexpected "aud" claim value');
  }
  for (const claim of ['iat', 'nbf', 'exp'] as const) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'number') throw new JwsError(`"${claim}" claim must be a number`);
  }
  if (payload.nbf !== undefined && payload.nbf > now) throw new JwsError('"nbf" claim timestamp check failed');
  if (payload.exp !== undefined && payload.exp <= now) throw new JwtExpiredError('"exp" claim timestamp check failed');
}
