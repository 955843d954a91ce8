// The users and clients most tests start from.
import type { PlazaEndpoint, TestServer } from './harness.ts';
import { Browser, authorize, pkce, tokenRequest } from './oauth.ts';

export const REDIRECT_URI = 'https://app.example/cb';

/** Plaza's own web app: first-party, so its users may add apps to their groups through it. */
export const WEB = {
  client_id: 'web', client_secret: 'web-secret-0123456789-0123456789', client_name: 'Web App',
  redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange'],
  response_types: ['code'], token_endpoint_auth_method: 'client_secret_post', post_logout_redirect_uris: ['https://app.example/bye'],
  plaza_first_party: true,
};

export const OTHER_WEB = { ...WEB, client_id: 'other', client_secret: 'other-secret-0123456789-01234567', client_name: 'Other App', plaza_first_party: false };

export const SPA = {
  client_id: 'spa', client_name: 'Single Page App', redirect_uris: [REDIRECT_URI],
  grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none',
};

/** A native app: terminal-bound, so it must name its key with dpop_jkt and prove it with DPoP. */
export const PHONE = {
  client_id: 'phone', client_name: 'Plaza Phone', application_type: 'native', token_endpoint_auth_method: 'none',
  redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
};

export const SERVICE = {
  client_id: 'service', client_secret: 'service-secret-0123456789-012345', client_name: 'Backend Service',
  grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post',
  scope: 'groups:read messages:read',
};

export const ADMIN_TOOL = {
  client_id: 'admin-tool', client_secret: 'admin-secret-0123456789-01234567', client_name: 'Admin Tool',
  grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post',
  scope: 'admin',
};

export const ALICE = { username: 'alice', password: 'alice-password-1', name: 'Alice Example' };
export const BOB = { username: 'bob', password: 'bob-password-1', name: 'Bob Example' };

export async function seedBasics(server: TestServer): Promise<void> {
  await server.plaza.admin.seed({ users: [ALICE, BOB], clients: [WEB, OTHER_WEB, SPA, SERVICE, ADMIN_TOOL] });
}

export function codeRequest(client: { client_id: string }, challenge: string, extra: Record<string, string> = {}): Record<string, string> {
  const params: Record<string, string> = {
    client_id: client.client_id, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid profile offline_access',
    code_challenge: challenge, code_challenge_method: 'S256', state: 'st-1', nonce: 'n-1', prompt: 'consent', ...extra,
  };
  // A nonce belongs to OpenID Connect requests only.
  if (!params.scope.split(' ').includes('openid')) delete params.nonce;
  return params;
}

/** Signs in as alice (or whoever `login` names) and consents; returns the code and its PKCE verifier. */
export async function codeFor(server: PlazaEndpoint, client: { client_id: string } = WEB, extra: Record<string, string> = {}, options: {
  browser?: Browser; username?: string; password?: string;
} = {}) {
  const { verifier, challenge } = pkce();
  const { callback, pages } = await authorize(server, options.browser ?? new Browser(), codeRequest(client, challenge, extra), options);
  return { code: callback.searchParams.get('code')!, verifier, callback, pages };
}

/** Redeems a code; without a verifier, the request carries no code_verifier (a code protected by a nonce). */
export function redeemCode(server: PlazaEndpoint, code: string, verifier: string | undefined, client: { client_id: string; client_secret?: string } = WEB,
  extra: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return tokenRequest(server, {
    grant_type: 'authorization_code', code, ...(verifier ? { code_verifier: verifier } : {}), redirect_uri: REDIRECT_URI, client_id: client.client_id,
    ...(client.client_secret ? { client_secret: client.client_secret } : {}), ...extra,
  }, headers);
}
