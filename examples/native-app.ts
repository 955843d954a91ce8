// A native app (RFC 8252) with terminal binding: pushed authorization (PAR, RFC 9126) and DPoP (RFC 9449). The app
// makes a key pair, and every token Plaza issues it, refresh tokens included, works only with DPoP proofs by that key.
// Guide: docs/apps/native-app.md. Register a public native client with the loopback redirect URI
// http://127.0.0.1/callback (any port matches it, RFC 8252 §7.3), then run
//   PLAZA_ISSUER=http://localhost:3000 CLIENT_ID=my-phone npx node examples/native-app.ts
// and open the URL it prints; it signs in, posts to GROUP_ID (default hiking) and exits.
import { createServer } from 'node:http';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import * as client from 'openid-client';

const issuer = new URL(process.env.PLAZA_ISSUER ?? 'http://localhost:3000');
const groupId = process.env.GROUP_ID ?? 'hiking';
const insecure = issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(issuer, process.env.CLIENT_ID ?? 'my-phone', undefined, client.None(), insecure);
const api = (path: string) => new URL(`${config.serverMetadata().issuer}/api${path}`);

// The terminal's key. A real app keeps it in the platform's key store (non-extractable) for as long as it keeps tokens.
const keyPair = await client.randomDPoPKeyPair('ES256');
// The handle signs a proof for every request and remembers the DPoP-Nonce each server sends. When Plaza asks for a
// nonce (use_dpop_nonce, everywhere when it runs with DPOP_REQUIRE_NONCE=1), openid-client retries the request once
// with it.
const DPoP = client.getDPoPHandle(config, keyPair);

// The browser comes back to a loopback port of our own.
const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const redirectUri = `http://127.0.0.1:${(server.address() as { port: number }).port}/callback`;

const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
// PAR with a DPoP proof: Plaza binds the authorization to this key (dpop_jkt) before the browser sees anything.
const authorizationUrl = await client.buildAuthorizationUrlWithPAR(config, {
  redirect_uri: redirectUri, scope: 'openid profile offline_access messages:post', prompt: 'consent',
  code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce,
}, { DPoP });
console.log(`native-app example: waiting at ${redirectUri}`);
console.log(`native-app example: open ${authorizationUrl.href}`);

const callbackUrl = await new Promise<URL>((resolve) => {
  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', redirectUri);
    if (url.pathname !== '/callback') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window and return to the app.');
    resolve(url);
  });
});
server.close();

const tokens = await client.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }, undefined, { DPoP });
const posted = await client.fetchProtectedResource(config, tokens.access_token, api(`/groups/${encodeURIComponent(groupId)}/messages`), 'POST',
  JSON.stringify({ text: 'Posted from the native app' }), new Headers({ 'content-type': 'application/json' }), { DPoP });
// The refresh token is bound to the same key: without it, it is worthless.
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
console.log(JSON.stringify({
  token_type: tokens.token_type, key_thumbprint: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)),
  posted: posted.status, refreshed_token_type: refreshed.token_type,
}));
