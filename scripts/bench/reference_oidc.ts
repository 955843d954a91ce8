// Reference (a): a plain oidc-provider with its in-memory adapter, the same clients, key type and token format (an
// ES256 JWT access token for the API resource) as Plaza's benchmark: client_credentials, and a user's refresh token
// (made here, as Plaza's comes from a login) that is refreshed and introspected like Plaza's.
import { writeFile } from 'node:fs/promises';
import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';

const [port, clientId, clientSecret, userClientId, refreshTokenFile] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const api = `${issuer}/api`;
const SCOPE = 'groups:read messages:read messages:post';
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const provider = new Provider(issuer, {
  clients: [
    { client_id: clientId, client_secret: clientSecret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post', scope: 'groups:read messages:read' },
    { client_id: userClientId, client_secret: clientSecret, grant_types: ['refresh_token'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post', scope: SCOPE },
  ],
  jwks: { keys: [{ ...await exportJWK(privateKey), alg: 'ES256', use: 'sig', kid: 'ref' }] as never },
  scopes: ['openid', 'offline_access', ...SCOPE.split(' ')],
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  ttl: { AccessToken: 3600, ClientCredentials: 3600, Grant: 14 * 86400, RefreshToken: 14 * 86400 },
  // oidc-provider's default account (the subject alone), given so that it does not warn.
  findAccount: async (_ctx, accountId) => ({ accountId, claims: async () => ({ sub: accountId }) }),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // oidc-provider's default policy, given so that it does not warn.
    introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === client.clientId },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => api,
      getResourceServerInfo: async () => ({ scope: SCOPE, audience: api, accessTokenFormat: 'jwt', accessTokenTTL: 3600, jwt: { sign: { alg: 'ES256' } } }),
      useGrantedResource: async () => true,
    },
  },
});
// The user's grant and refresh token, as a login would have left them.
const grant = new provider.Grant({ accountId: 'bench-user', clientId: userClientId });
grant.addResourceScope(api, SCOPE);
const grantId = await grant.save();
const refreshToken = await new provider.RefreshToken({
  accountId: 'bench-user', client: (await provider.Client.find(userClientId))!, grantId, scope: SCOPE, resource: api, gty: 'refresh_token',
}).save();
await writeFile(refreshTokenFile, refreshToken);
provider.listen(Number(port), '127.0.0.1' as never);
