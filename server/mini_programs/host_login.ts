// Asking a host who the user is: a code2session call with the login code, or the host's signed identity token.
// Both of the host's URLs go through the outbound guard on every call: an admin typed them, and DNS can change.
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { OutboundRefused, requestChecked, type OutboundResponse } from '../http/index.ts';
import type { HostPlatform } from './platforms.ts';

/** What makes a host-signed token single-use and bound to one mini-program. */
export interface HostTokenUse {
  jti: string;
  /** When the token stops being accepted (its `exp` plus the clock skew allowed), epoch ms. */
  usableUntil: number;
  audiences: string[];
  azp?: string;
}

/** Who the host says the user is. The host's session_key is never kept or passed on. */
export interface HostIdentity {
  subject: string;
  unionid?: string;
  name?: string;
  /** For a host-signed token: what its single use is recorded and checked by. */
  use?: HostTokenUse;
}

/** The host said no (`rejected`), or could not be asked (`unavailable`). */
export class HostLoginError extends Error {
  override name = 'HostLoginError';
  readonly code: 'rejected' | 'unavailable';
  constructor(code: HostLoginError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

const CLOCK_SKEW_SECONDS = 30;
/** A host token lives at most this long: its `jti` is kept until it expires. */
const MAX_LIFETIME_SECONDS = 600;

export interface HostCalls {
  /** http to loopback hosts, as for callbacks (ALLOW_INSECURE_CALLBACKS). */
  allowLoopback: boolean;
}

/** A GET to one of the host's URLs through the outbound guard; a refused URL or an oversized answer is the host's failure. */
async function getFromHost(host: HostPlatform, url: string, headers: Record<string, string>, calls: HostCalls): Promise<OutboundResponse> {
  let res: OutboundResponse;
  try {
    res = await requestChecked(url, { method: 'GET', headers }, { allowLoopback: calls.allowLoopback, timeoutMs: host.timeoutMs });
  } catch (err) {
    if (err instanceof OutboundRefused) throw new HostLoginError('unavailable', `host ${host.id} may not be called: ${err.message}`);
    throw err;
  }
  if (res.oversized) throw new HostLoginError('unavailable', `host ${host.id} answered with an oversized body`);
  return res;
}

/** WeChat-style code2session: GET url?appid&secret&js_code&grant_type=authorization_code. */
export async function code2session(host: HostPlatform, appSecret: string, code: string, calls: HostCalls): Promise<HostIdentity> {
  const url = new URL(host.url!);
  url.search = new URLSearchParams({ appid: host.appId!, secret: appSecret, js_code: code, grant_type: 'authorization_code' }).toString();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse((await getFromHost(host, url.href, { accept: 'application/json' }, calls)).body.toString('utf8'));
    if (typeof body !== 'object' || body === null) throw new SyntaxError('not an object');
  } catch (err) {
    if (err instanceof HostLoginError) throw err;
    const what = (err as Error).name === 'TimeoutError' ? `did not answer within ${host.timeoutMs} ms` : err instanceof SyntaxError ? 'answered with something other than JSON' : 'could not be reached';
    throw new HostLoginError('unavailable', `host ${host.id} ${what}`);
  }
  if (typeof body.errcode === 'number' && body.errcode !== 0) {
    const message = typeof body.errmsg === 'string' ? body.errmsg.slice(0, 200) : 'no message';
    throw new HostLoginError('rejected', `host ${host.id} rejected the login code (errcode ${body.errcode}: ${message})`);
  }
  if (typeof body.openid !== 'string' || !body.openid) throw new HostLoginError('unavailable', `host ${host.id} answered without an openid`);
  return { subject: body.openid, unionid: typeof body.unionid === 'string' && body.unionid ? body.unionid : undefined };
}

/** Verifies host-signed identity tokens against each host's JWKS; jose caches the keys and refetches on an unknown kid. */
export class JwtHostVerifier {
  readonly #keySets = new Map<string, { uri: string; keys: JWTVerifyGetKey }>();
  readonly #cooldownMs: number;
  readonly #calls: HostCalls;

  constructor(options: { cooldownMs: number } & HostCalls) {
    this.#cooldownMs = options.cooldownMs;
    this.#calls = { allowLoopback: options.allowLoopback };
  }

  #keysOf(host: HostPlatform): JWTVerifyGetKey {
    const cached = this.#keySets.get(host.id);
    if (cached && cached.uri === host.jwksUri) return cached.keys;
    const fetchKeys = async (url: string) => {
      const res = await getFromHost(host, url, { accept: 'application/json, application/jwk-set+json' }, this.#calls);
      if (res.status < 200 || res.status > 599) throw new HostLoginError('unavailable', `host ${host.id} keys could not be fetched`);
      return new Response(new Uint8Array(res.body), { status: res.status });
    };
    const keys = createRemoteJWKSet(new URL(host.jwksUri!), {
      timeoutDuration: host.timeoutMs, cooldownDuration: this.#cooldownMs, cacheMaxAge: 10 * 60_000, [customFetch]: fetchKeys,
    });
    this.#keySets.set(host.id, { uri: host.jwksUri!, keys });
    return keys;
  }

  async verify(host: HostPlatform, token: string): Promise<HostIdentity> {
    try {
      const { payload } = await jwtVerify(token, this.#keysOf(host), {
        issuer: host.issuer, audience: host.audience, algorithms: host.algorithms, clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'], maxTokenAge: MAX_LIFETIME_SECONDS,
      });
      const { iat, exp, jti } = payload as { iat: number; exp: number; jti: unknown };
      if (iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) throw new joseErrors.JWTClaimValidationFailed('"iat" is in the future', payload, 'iat');
      if (exp - iat > MAX_LIFETIME_SECONDS) throw new joseErrors.JWTClaimValidationFailed(`"exp" is more than ${MAX_LIFETIME_SECONDS} seconds after "iat"`, payload, 'exp');
      if (typeof jti !== 'string' || !jti || jti.length > 256) throw new joseErrors.JWTClaimValidationFailed('"jti" must be a string of at most 256 characters', payload, 'jti');
      return {
        subject: payload.sub!,
        unionid: typeof payload.unionid === 'string' ? payload.unionid : undefined,
        name: typeof payload.name === 'string' ? payload.name : undefined,
        use: {
          jti, usableUntil: (exp + CLOCK_SKEW_SECONDS) * 1000,
          audiences: ([] as unknown[]).concat(payload.aud).filter((a): a is string => typeof a === 'string'),
          azp: typeof payload.azp === 'string' ? payload.azp : undefined,
        },
      };
    } catch (err) {
      if (err instanceof HostLoginError) throw err;
      if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) throw new HostLoginError('unavailable', `host ${host.id} keys could not be fetched`);
      if (err instanceof joseErrors.JOSEError) throw new HostLoginError('rejected', `the identity token from host ${host.id} is not valid: ${err.message}`);
      if ((err as Error).name === 'TimeoutError' || err instanceof TypeError) throw new HostLoginError('unavailable', `host ${host.id} keys could not be fetched`);
      throw err;
    }
  }
}
