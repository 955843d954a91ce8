// RFC 8693 token exchange at the token endpoint. Each capability registers the subject token types it accepts;
// this module only checks the common parameters and dispatches.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { DpopNonceError, DpopProofError, type DpopProof, type DpopVerifier } from './dpop.ts';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

export const TOKEN_TYPES = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
} as const;

export const EXCHANGE_PARAMETERS = [
  'audience', 'resource', 'scope', 'requested_token_type', 'subject_token', 'subject_token_type',
  'subject_issuer', 'actor_token', 'actor_token_type', 'response_encryption_jwk',
];

/** An OAuth error with a description the client can act on (oidc-provider's own InvalidGrant hides its detail). */
export function exchangeError(error: string, description: string): Error {
  return new errors.CustomOIDCProviderError(error, description);
}

export interface ExchangeRequest {
  subjectToken: string;
  /** The checked DPoP proof, when the client sent one: the issued tokens are bound to its key. */
  proof?: DpopProof;
}

export type ExchangeHandler = (ctx: KoaContextWithOIDC, request: ExchangeRequest) => Promise<void>;

export class TokenExchange {
  readonly #handlers = new Map<string, ExchangeHandler>();
  readonly #dpop: DpopVerifier;

  constructor(dpop: DpopVerifier) {
    this.#dpop = dpop;
  }

  register(subjectTokenType: string, handler: ExchangeHandler): void {
    this.#handlers.set(subjectTokenType, handler);
  }

  readonly handle = async (ctx: KoaContextWithOIDC): Promise<void> => {
    const { subject_token: token, subject_token_type: type } = ctx.oidc.params as Record<string, unknown>;
    if (typeof token !== 'string' || !token) throw new errors.InvalidRequest('missing required parameter subject_token');
    if (typeof type !== 'string' || !type) throw new errors.InvalidRequest('missing required parameter subject_token_type');
    const handler = this.#handlers.get(type);
    if (!handler) throw new errors.InvalidRequest(`unsupported subject_token_type ${type}`);
    let proof;
    try {
      proof = await this.#dpop.verify({ header: ctx.headers.dpop, method: ctx.method, url: ctx.oidc.urlFor('token'), clientId: ctx.oidc.client!.clientId });
    } catch (err) {
      if (err instanceof DpopNonceError) {
        ctx.set('DPoP-Nonce', err.nonce);
        throw new errors.UseDpopNonce(err.message);
      }
      if (err instanceof DpopProofError) throw new errors.InvalidDpopProof(err.message);
      throw err;
    }
    // oidc-provider enforces this for its own grants only.
    if (!proof && ctx.oidc.client?.dpopBoundAccessTokens) throw new errors.InvalidDpopProof('this client must send a DPoP proof');
    await handler(ctx, { subjectToken: token, proof });
  };
}
