// oidc-provider keeps no record of JWT access tokens, so its revocation and introspection endpoints answer
// `unsupported_token_type` for them, after authenticating the client. Plaza answers for its own JWTs there instead.
import type { Middleware } from 'koa';
import { errors, type Client, type KoaContextWithOIDC } from 'oidc-provider';

export interface StructuredTokenHandlers {
  revoke(client: Client, token: string): Promise<void>;
  introspect(client: Client, token: string): Promise<Record<string, unknown>>;
}

export function structuredTokens(handlers: StructuredTokenHandlers): Middleware {
  return async (ctx, next) => {
    await next();
    const { oidc } = ctx as unknown as Partial<KoaContextWithOIDC>;
    if (ctx.status !== 400 || (ctx.body as { error?: unknown } | undefined)?.error !== 'unsupported_token_type') return;
    // Set only once oidc-provider authenticated the client and checked the parameters.
    const client = oidc?.client;
    const token = oidc?.params?.token;
    if (!client || typeof token !== 'string') return;
    try {
      if (oidc.route === 'revocation') {
        await handlers.revoke(client, token);
        ctx.status = 200;
        ctx.body = '';
      } else if (oidc.route === 'introspection') {
        ctx.body = await handlers.introspect(client, token);
        ctx.status = 200;
        ctx.set('Cache-Control', 'no-store');
      }
    } catch (err) {
      if (!(err instanceof errors.OIDCProviderError)) throw err;
      ctx.status = err.status;
      ctx.body = { error: err.error, error_description: err.error_description };
    }
  };
}
