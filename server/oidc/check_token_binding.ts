// RFC 9449 §7 at Plaza's resource servers (the API and the admin API): how a request presents its access token,
// and the proof a DPoP-bound (`cnf.jkt`) token needs. Both call these, so a bound token is checked the same way everywhere.
import { HttpError, type ErrorCode } from '../http/index.ts';
import { DpopNonceError, DpopProofError, type DpopVerifier } from './dpop.ts';

export type TokenScheme = 'Bearer' | 'DPoP';

export interface ResourceRequest {
  authorization: string | undefined;
  dpop: string | string[] | undefined;
  method: string;
  url: string;
}

export interface PresentedToken {
  scheme: TokenScheme;
  token: string;
}

/** The claims of a verified access token that the binding check reads. */
export interface BoundClaims {
  client_id: string;
  cnf?: { jkt?: string };
}

function unauthorized(scheme: TokenScheme, code: ErrorCode, message: string, headers: Record<string, string> = {}): HttpError {
  const challenge = `${scheme} error="${code}", error_description="${message.replace(/"/g, "'")}"`;
  return new HttpError(401, message, { code, headers: { 'WWW-Authenticate': challenge, ...headers } });
}

/** `Authorization: Bearer <token>` or `DPoP <token>`; a missing or malformed header is a 401 naming both schemes. */
export function presentedToken(header: string | undefined): PresentedToken {
  const match = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header ?? '');
  if (!match) throw new HttpError(401, 'an access token is required', { code: 'invalid_request', headers: { 'WWW-Authenticate': 'Bearer, DPoP' } });
  return { scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] };
}

/** A DPoP-bound token needs the DPoP scheme and a proof by its key; an unbound one must not claim DPoP. Returns the key's thumbprint. */
export async function checkTokenBinding(dpop: DpopVerifier, presented: PresentedToken, claims: BoundClaims, request: ResourceRequest): Promise<string | undefined> {
  const jkt = claims.cnf?.jkt;
  if (!jkt) {
    if (presented.scheme === 'DPoP') throw unauthorized('Bearer', 'invalid_token', 'this access token is not DPoP-bound; send it as Bearer');
    return undefined;
  }
  if (presented.scheme !== 'DPoP') throw unauthorized('DPoP', 'invalid_token', 'this access token is DPoP-bound; send it with the DPoP scheme and a proof');
  try {
    const proof = await dpop.verify({
      header: request.dpop, method: request.method, url: request.url, accessToken: presented.token, clientId: claims.client_id,
    });
    if (!proof) throw new DpopProofError('a DPoP proof is required');
    if (proof.jkt !== jkt) throw new DpopProofError('the DPoP proof is signed by another key than the token is bound to');
    return jkt;
  } catch (err) {
    if (err instanceof DpopNonceError) throw unauthorized('DPoP', err.code, err.message, { 'DPoP-Nonce': err.nonce });
    if (err instanceof DpopProofError) throw unauthorized('DPoP', err.code, err.message);
    throw err;
  }
}
