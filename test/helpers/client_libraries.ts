// What the tests through third-party client libraries share: a Plaza with every kind of client they drive, the
// user's part of an authorization a library started, and Plaza's H5 page redeeming a handoff code.
import * as oauth from 'oauth4webapi';
import { compactDecrypt, exportJWK, generateKeyPair } from 'jose';
import { startServer, type PlazaEndpoint, type TestServer } from './harness.ts';
import { Browser, authorize, dpopKey, type DpopKey } from './oauth.ts';
import { PHONE, REDIRECT_URI } from './fixtures.ts';
import { seedSocial, TOKEN_EXCHANGE, type App } from './social.ts';
import { asyncApp } from './async_client.ts';
import { WebhookReceiver } from './webhook_receiver.ts';

export interface LibraryPlaza {
  server: TestServer;
  /** Where the poster app gets its action tickets. */
  actionHooks: WebhookReceiver;
  /** Where the async app gets its job callbacks. */
  jobHooks: WebhookReceiver;
  poster: App;
  asyncApp: ReturnType<typeof asyncApp>;
}

/** Plaza asking for DPoP nonces everywhere, so the libraries' nonce retries are exercised at every endpoint. */
export async function startLibraryPlaza(): Promise<LibraryPlaza> {
  const actionHooks = await new WebhookReceiver().start();
  const jobHooks = await new WebhookReceiver().start();
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', DPOP_REQUIRE_NONCE: '1', WORKER_POLL_MS: '20' } });
  const { poster } = await seedSocial(server, actionHooks);
  const app = asyncApp(jobHooks, 'async-app');
  await server.plaza.admin.seed({ clients: [PHONE, app] });
  return { server, actionHooks, jobHooks, poster, asyncApp: app };
}

export async function stopLibraryPlaza(plaza: LibraryPlaza): Promise<void> {
  await plaza.server.stop();
  await plaza.actionHooks.stop();
  await plaza.jobHooks.stop();
}

/** alice signs in and consents on the real pages for an authorization URL a library built; returns the redirect it ends at. */
export async function signIn(server: PlazaEndpoint, authorizationUrl: URL): Promise<URL> {
  const { callback } = await authorize(server, new Browser(), Object.fromEntries(authorizationUrl.searchParams), { redirectUri: REDIRECT_URI });
  return callback;
}

/** Plaza's metadata as oauth4webapi discovers it; the one non-default: Plaza's test issuer is http on loopback. */
export async function discoverPlaza(server: PlazaEndpoint): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(server.url);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
}

/** oauth4webapi leaves the DPoP nonce retry (RFC 9449 §8, §9) to its caller: once, when the server asks for a nonce. */
export async function retryingDpopNonce<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    if (oauth.isDPoPNonceError(err)) return attempt();
    throw err;
  }
}

/**
 * What Plaza's H5 page does with a handoff code, written with oauth4webapi (a library that runs in browsers): its own
 * DPoP and ECDH keys, the exchange (retried once with the nonce Plaza asks for), the JWE answer decrypted.
 */
export async function redeemHandoffAsPage(server: PlazaEndpoint, code: string): Promise<{ viewToken: Record<string, unknown>; key: DpopKey }> {
  const as = await discoverPlaza(server);
  const page: oauth.Client = { client_id: 'plaza-h5' };
  const key = await dpopKey();
  const DPoP = oauth.DPoP(page, key);
  const ecdh = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256' });
  const params = {
    subject_token: code, subject_token_type: 'urn:plaza:token-type:handoff-code', response_encryption_jwk: JSON.stringify(await exportJWK(ecdh.publicKey)),
  };
  const res = await retryingDpopNonce(async () => {
    const answer = await oauth.genericTokenEndpointRequest(as, page, oauth.None(), TOKEN_EXCHANGE, params, { DPoP, [oauth.allowInsecureRequests]: true });
    // A refusal is JSON, which the library reads (and a nonce retry needs); the success is a JWE, which it does not.
    if (!answer.ok) await oauth.processGenericTokenEndpointResponse(as, page, answer);
    return answer;
  });
  if (res.headers.get('content-type') !== 'application/jose') throw new Error(`the page's exchange answered ${res.status}: ${await res.text()}`);
  const { plaintext } = await compactDecrypt(await res.text(), ecdh.privateKey);
  return { viewToken: JSON.parse(new TextDecoder().decode(plaintext)), key };
}
