// A mini-program's backend. Inside a host super-app, the mini-program gets a one-time login code from the host (its
// wx.login() or the like) and sends it here; the backend exchanges it at Plaza (RFC 8693, subject_issuer naming the
// host as registered at Plaza), and Plaza asks the host's code2session endpoint who the user is.
// Guide: docs/apps/mini-programs.md. The operator registers the host and the client (plaza_hosts), then run
//   PLAZA_ISSUER=http://localhost:3000 CLIENT_ID=my-mini CLIENT_SECRET=... HOST_ID=wx PORT=4002 npx node examples/mini-program-backend.ts
// and the mini-program calls POST http://127.0.0.1:4002/login {"code": "<the host's login code>"}.
import { createServer } from 'node:http';
import * as client from 'openid-client';

const issuer = new URL(process.env.PLAZA_ISSUER ?? 'http://localhost:3000');
const hostId = process.env.HOST_ID ?? 'wx';
const port = Number(process.env.PORT ?? 4002);
const insecure = issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(issuer, process.env.CLIENT_ID ?? 'my-mini', process.env.CLIENT_SECRET, undefined, insecure);
const api = (path: string) => new URL(`${config.serverMetadata().issuer}/api${path}`);

async function signIn(code: string) {
  const tokens = await client.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:token-exchange', {
    subject_token: code,
    subject_token_type: 'urn:plaza:token-type:host-login-code',
    subject_issuer: hostId,
    scope: 'openid groups:read',
  });
  const groups = await client.fetchProtectedResource(config, tokens.access_token, api('/groups'), 'GET');
  // A real backend would start its own session for the mini-program here, and keep the Plaza tokens server-side.
  return { sub: tokens.claims()?.sub, groups: await groups.json() };
}

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', async () => {
    const answer = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'POST' || req.url !== '/login') return answer(404, { error: 'not found' });
    try {
      const { code } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code?: unknown };
      if (typeof code !== 'string') return answer(400, { error: 'send {"code": "<login code>"}' });
      answer(200, await signIn(code));
    } catch (err) {
      // invalid_grant: a bad, used or expired code (ask the host for a new one); temporarily_unavailable: the host did not answer.
      const error = err instanceof client.ResponseBodyError ? err.error : 'login_failed';
      answer(error === 'temporarily_unavailable' ? 503 : 401, { error });
    }
  });
}).listen(port, '127.0.0.1', () => console.log(`mini-program-backend example: POST http://127.0.0.1:${port}/login`));
