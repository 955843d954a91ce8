// When an authorization request must carry a PKCE code_challenge (RFC 9700 §2.1.1): public and terminal-bound
// clients always; a confidential OpenID Connect client may protect its code with a nonce instead, unless it was
// registered with plaza_require_pkce or under FAPI 2.0. A confidential client's OAuth-only request needs PKCE.
import type { Client, KoaContextWithOIDC } from 'oidc-provider';
import { isTerminalBound, requiresPkce } from './client_flags.ts';
import { metadataOf } from './client_metadata.ts';

export function pkceRequired(ctx: KoaContextWithOIDC, client: Client): boolean {
  const metadata = metadataOf(client);
  if (client.clientAuthMethod === 'none' || isTerminalBound(metadata) || requiresPkce(metadata) || ctx.oidc.isFapi('2.0')) return true;
  const { scope, nonce } = ctx.oidc.params ?? {};
  const openid = typeof scope === 'string' && scope.split(' ').includes('openid');
  return !(openid && typeof nonce === 'string' && nonce !== '');
}
