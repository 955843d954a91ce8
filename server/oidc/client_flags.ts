// Plaza's own client metadata flags: what each one asks of a client, validated in one place.
import { errors } from 'oidc-provider';

export const CLIENT_FLAGS = ['plaza_terminal_bound', 'plaza_require_pkce', 'plaza_fapi'] as const;

/** The FAPI profiles a client may be registered under (oidc-provider's `features.fapi` names). */
export const FAPI_PROFILES = ['2.0'] as const;
type FapiProfile = typeof FAPI_PROFILES[number];

/** Native public clients, and any client registered with plaza_terminal_bound, bind everything to a terminal key. */
export function isTerminalBound(metadata: Record<string, unknown>): boolean {
  if (metadata.plaza_terminal_bound === true) return true;
  return metadata.application_type === 'native' && metadata.token_endpoint_auth_method === 'none';
}

/** A client registered with plaza_require_pkce may not protect its code with a nonce alone. */
export function requiresPkce(metadata: Record<string, unknown>): boolean {
  return metadata.plaza_require_pkce === true;
}

/** A client registered with plaza_fapi gets every rule of that FAPI profile. */
export function fapiProfileOf(metadata: Record<string, unknown>): FapiProfile | undefined {
  return FAPI_PROFILES.find((profile) => profile === metadata.plaza_fapi);
}

export function validateClientFlag(key: typeof CLIENT_FLAGS[number], value: unknown, metadata: Record<string, unknown>): void {
  if (value === undefined) return;
  if (key === 'plaza_fapi') {
    if (!fapiProfileOf(metadata)) throw new errors.InvalidClientMetadata(`plaza_fapi must be one of: ${FAPI_PROFILES.join(', ')}`);
    return;
  }
  if (typeof value !== 'boolean') throw new errors.InvalidClientMetadata(`${key} must be a boolean`);
  // A terminal-bound client gets DPoP-bound tokens only; oidc-provider then refuses a token request without a proof.
  if (key === 'plaza_terminal_bound' && isTerminalBound(metadata)) metadata.dpop_bound_access_tokens = true;
}
