// Web login: authorization code + PKCE with openid-client at its defaults, then a call to the Plaza API.
// Guide: docs/apps/web-login.md. Register the app with the redirect URI <APP_URL>/callback, then run
//   PLAZA_ISSUER=http://localhost:3000 CLIENT_ID=my-web CLIENT_SECRET=... APP_URL=http://localhost:4000 npx node examples/web-login.ts
// and open APP_URL in a browser.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import * as client from 'openid-client';

const issuer = new URL(process.env.PLAZA_ISSUER ?? 'http://localhost:3000');
const appUrl = new URL(process.env.APP_URL ?? 'http://localhost:4000');
const redirectUri = new URL('/callback', appUrl).href;
// Plain http only for a Plaza in development on this machine.
const insecure = issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
// With a secret, openid-client authenticates with client_secret_post: register the client with that method.
const config = await client.discovery(issuer, process.env.CLIENT_ID ?? 'my-web', process.env.CLIENT_SECRET, undefined, insecure);
const api = (path: string) => new URL(`${config.serverMetadata().issuer}/api${path}`);

// Each browser's sign-in under way, by a random id in a cookie; a real app keeps this in its session store.
const pending = new Map<string, { verifier: string; state: string; nonce: string }>();

async function login(): Promise<{ location: string; cookie: string }> {
  const login = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce() };
  const id = randomUUID();
  pending.set(id, login);
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    // OpenID scopes and API scopes together: the access token is for <issuer>/api, the profile comes in the id_token.
    // offline_access (a refresh token) is granted only on a consent page, so it goes with prompt=consent.
    scope: 'openid profile offline_access groups:read',
    prompt: 'consent',
    code_challenge: await client.calculatePKCECodeChallenge(login.verifier),
    code_challenge_method: 'S256',
    state: login.state,
    nonce: login.nonce,
  });
  return { location: url.href, cookie: `login=${id}; Path=/callback; HttpOnly; SameSite=Lax` };
}

async function callback(currentUrl: URL, cookie: string | undefined): Promise<string> {
  const id = /(?:^|;\s*)login=([^;]+)/.exec(cookie ?? '')?.[1] ?? '';
  const login = pending.get(id);
  pending.delete(id);
  if (!login) throw new Error('no sign-in under way in this browser');
  const tokens = await client.authorizationCodeGrant(config, currentUrl, {
    pkceCodeVerifier: login.verifier, expectedState: login.state, expectedNonce: login.nonce,
  });
  const res = await client.fetchProtectedResource(config, tokens.access_token, api('/groups'), 'GET');
  if (!res.ok) throw new Error(`GET /api/groups answered ${res.status}: ${await res.text()}`);
  const groups = await res.json() as { id: string; name: string }[];
  return [
    `Signed in as ${tokens.claims()?.name} (sub ${tokens.claims()?.sub}).`,
    `Refresh token: ${tokens.refresh_token ? 'yes' : 'no'}.`,
    `Your groups: ${groups.map((g) => g.name).join(', ') || 'none'}.`,
  ].join('\n');
}

createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', appUrl);
  try {
    if (url.pathname === '/') {
      const { location, cookie } = await login();
      res.writeHead(302, { location, 'set-cookie': cookie }).end();
    } else if (url.pathname === '/callback') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(await callback(url, req.headers.cookie));
    } else {
      res.writeHead(404).end();
    }
  } catch (err) {
    // An error answer from Plaza (e.g. access_denied when the user declines) arrives here as an exception.
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(`Sign-in failed: ${(err as Error).message}`);
  }
}).listen(Number(appUrl.port || 80), appUrl.hostname, () => console.log(`web-login example: open ${appUrl.href}`));
