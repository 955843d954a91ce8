// A refresh token is bound to the DPoP key of the access token issued with it when the client is public (oidc-provider
// binds those itself) or terminal-bound: a terminal's tokens, refresh tokens included, work only with its key.
import type { Middleware } from 'koa';
import type { Client, KoaContextWithOIDC } from 'oidc-provider';
import { isTerminalBound } from './client_flags.ts';
import { metadataOf } from './client_metadata.ts';

export function bindsRefreshToken(client: Client): boolean {
  return client.clientAuthMethod === 'none' || isTerminalBound(metadataOf(client));
}

/**
 * After oidc-provider issued a refresh token to a confidential terminal-bound client, binds it to the access token's
 * key before the answer leaves; oidc-provider then refuses a refresh without a proof by that key, and keeps the
 * binding when it rotates the token.
 */
export function bindRefreshTokens(): Middleware {
  return async (ctx, next) => {
    await next();
    const { oidc } = ctx as unknown as Partial<KoaContextWithOIDC>;
    if (oidc?.route !== 'token' || ctx.status !== 200 || !oidc.client || !bindsRefreshToken(oidc.client)) return;
    const { RefreshToken: refreshToken, AccessToken: accessToken } = oidc.entities;
    if (!refreshToken || refreshToken.jkt || !accessToken?.jkt) return;
    refreshToken.jkt = accessToken.jkt;
    await refreshToken.save();
  };
}
