// RFC 8693 token exchange at the token endpoint. Each capability registers the subject token types it accepts;
// this module only checks the common parameters and dispatches.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

export const TOKEN_TYPES = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
} as const;

export const EXCHANGE_PARAMETERS = [
  'audience', 'resource', 'scope', 'requested_token_type', 'subject_token', 'subject_token_type',
  'subject_issuer', 'actor_token', 'actor_token_type',
];

export type ExchangeHandler = (ctx: KoaContextWithOIDC) => Promise<void>;

export class TokenExchange {
  readonly #handlers = new Map<string, ExchangeHandler>();

  register(subjectTokenType: string, handler: ExchangeHandler): void {
    this.#handlers.set(subjectTokenType, handler);
  }

  readonly handle = async (ctx: KoaContextWithOIDC): Promise<void> => {
    const { subject_token: token, subject_token_type: type } = ctx.oidc.params as Record<string, unknown>;
    if (typeof token !== 'string' || !token) throw new errors.InvalidRequest('missing required parameter subject_token');
    if (typeof type !== 'string' || !type) throw new errors.InvalidRequest('missing required parameter subject_token_type');
    const handler = this.#handlers.get(type);
    if (!handler) throw new errors.InvalidRequest(`unsupported subject_token_type ${type}`);
    await handler(ctx);
  };
}
