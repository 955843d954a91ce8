// Reference (a): a plain oidc-provider with its in-memory adapter, the same client, key type and token format
// (client_credentials, an ES256 JWT access token for the API resource) as Plaza's benchmark.
import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';

const [port, clientId, clientSecret] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const provider = new Provider(issuer, {
  clients: [{ client_id: clientId, client_secret: clientSecret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post', scope: 'groups:read messages:read' }],
  jwks: { keys: [{ ...await exportJWK(privateKey), alg: 'ES256', use: 'sig', kid: 'ref' }] as never },
  scopes: ['groups:read', 'messages:read'],
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => `${issuer}/api`,
      getResourceServerInfo: async () => ({ scope: 'groups:read messages:read', audience: `${issuer}/api`, accessTokenFormat: 'jwt', accessTokenTTL: 3600, jwt: { sign: { alg: 'ES256' } } }),
      useGrantedResource: async () => true,
    },
  },
});
provider.listen(Number(port), '127.0.0.1' as never);
