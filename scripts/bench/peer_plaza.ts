// Plaza as measured beside its peers: its own process on a fresh SQLite store, seeded with a client_credentials
// client, and a mini-program client whose refresh token (opaque) is what introspection is measured on: Plaza's
// access tokens are JWTs, which oidc-provider does not introspect.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { loadConfig } from '../../server/config/index.ts';
import { createPlaza } from '../../server/plaza.ts';
import packageJson from '../../package.json' with { type: 'json' };
import { freePort, startServer, waitForHttp, type Peer } from './peer_setup.ts';

const ROOT = join(import.meta.dirname, '..', '..');
export const PLAZA_VERSION = packageJson.version;
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** A host whose JWKS answers on loopback while Plaza exchanges one of its identity tokens. */
async function hostToken(): Promise<{ jwksUri: string; token: string; close(): void }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...await exportJWK(publicKey), kid: 'peers', alg: 'ES256', use: 'sig' };
  const port = await freePort();
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }))).listen(port, '127.0.0.1');
  const token = await new SignJWT({ sub: 'peers-user', azp: 'peers-app' }).setProtectedHeader({ alg: 'ES256', kid: 'peers' })
    .setIssuer('https://peers-host.example').setAudience('plaza').setJti(randomUUID()).setIssuedAt().setExpirationTime('10m').sign(privateKey);
  return { jwksUri: `http://127.0.0.1:${port}/jwks`, token, close: () => server.close() };
}

export async function startPlaza(workDir: string): Promise<Peer> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    DATA_DIR: join(workDir, 'plaza'), PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer, LOG_LEVEL: 'warn',
    // The host's JWKS is served on loopback, over http.
    ALLOW_INSECURE_CALLBACKS: '1',
    // The load comes from one client far above any per-client allowance; the limit is still counted, never reached.
    TOKEN_RATE_LIMIT: '1000000000',
  };
  const secret = randomBytes(24).toString('base64url');
  const host = await hostToken();
  const seed = await createPlaza(loadConfig(env));
  await seed.admin.seed({
    hosts: [{ id: 'peershost', kind: 'jwt', issuer: 'https://peers-host.example', jwks_uri: host.jwksUri, audience: 'plaza', algorithms: ['ES256'] }],
    clients: [
      { client_id: 'peers-cc', client_secret: secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post', scope: 'groups:read messages:read' },
      { client_id: 'peers-mini', client_secret: secret, grant_types: [TOKEN_EXCHANGE, 'refresh_token'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post', plaza_hosts: ['peershost'], plaza_host_app_ids: { peershost: 'peers-app' } },
    ],
  });
  await seed.close();
  const server = startServer(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'server', 'main.ts')], env, join(workDir, 'plaza.log'));
  try {
    await waitForHttp(`${issuer}/.well-known/openid-configuration`, 30_000, server);
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE, client_id: 'peers-mini', client_secret: secret, subject_token: host.token, subject_token_type: 'urn:ietf:params:oauth:token-type:jwt', scope: 'groups:read' }),
    });
    const exchanged = await res.json() as { refresh_token?: string };
    if (!exchanged.refresh_token) throw new Error(`the host token exchange gave no refresh token: ${JSON.stringify(exchanged)}`);
    return {
      name: 'plaza',
      version: PLAZA_VERSION,
      process: server,
      warmupSeconds: 10,
      tokenUrl: `${issuer}/token`,
      tokenParams: { grant_type: 'client_credentials', client_id: 'peers-cc', client_secret: secret, scope: 'messages:read' },
      introspection: (token) => ({ url: `${issuer}/token/introspection`, params: { token, client_id: 'peers-mini', client_secret: secret } }),
      introspectionToken: exchanged.refresh_token,
      introspects: 'an opaque refresh token, by the client it was issued to',
      secretHashing: 'none (sealed at rest with AES-256-GCM, opened on lookup)',
      journalMode: { sqliteFile: join(env.DATA_DIR, 'plaza.sqlite') },
      configuration: `this checkout's \`server/main.ts\` on Node.js ${process.versions.node}, SQLite engine (defaults but LOG_LEVEL=warn, ALLOW_INSECURE_CALLBACKS=1 for the loopback host JWKS, and the per-client token rate limit raised out of reach), clients seeded through the admin capability`,
    };
  } catch (err) {
    await server.stop();
    throw err;
  } finally {
    host.close();
  }
}
