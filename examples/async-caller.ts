// An encrypted asynchronous call: the app encrypts its request to Plaza's published encryption key (JWE), posts it
// to /api/async and gets 202 at once; a Plaza worker does the work and calls the app back with a Standard Webhooks
// request whose body is encrypted to the app's own key. The app verifies the signature, then decrypts.
// Guide: docs/apps/async-calls.md. Register the app with callback_uri <CALLBACK_URL> and a `jwks` holding the public
// half of APP_PRIVATE_JWK (a `use: enc` key, RSA or EC), then run, with a user's access token the app got at sign-in
// (scope messages:post):
//   PLAZA_ISSUER=http://localhost:3000 CLIENT_ID=my-app CLIENT_SECRET=... WEBHOOK_SECRET=whsec_... ACCESS_TOKEN=... \
//     APP_PRIVATE_JWK='{"kty":"EC",...}' CALLBACK_URL=http://127.0.0.1:4003/callbacks GROUP_ID=hiking npx node examples/async-caller.ts
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { CompactEncrypt, compactDecrypt, importJWK, type JWK } from 'jose';
import * as client from 'openid-client';
import { Webhook } from 'standardwebhooks';

const issuer = new URL(process.env.PLAZA_ISSUER ?? 'http://localhost:3000');
const callbackUrl = new URL(process.env.CALLBACK_URL ?? 'http://127.0.0.1:4003/callbacks');
const accessToken = process.env.ACCESS_TOKEN ?? '';
const appKey = JSON.parse(process.env.APP_PRIVATE_JWK ?? '{}') as JWK;
const insecure = issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(issuer, process.env.CLIENT_ID ?? 'my-app', process.env.CLIENT_SECRET, undefined, insecure);
const webhook = new Webhook(process.env.WEBHOOK_SECRET ?? '');
const api = (path: string) => new URL(`${config.serverMetadata().issuer}/api${path}`);

// Listen before submitting: the callback may come back within milliseconds.
const callbacks: { body: string; headers: IncomingHttpHeaders }[] = [];
let arrived: () => void = () => {};
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    callbacks.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
    res.writeHead(204).end();
    arrived();
  });
});
await new Promise<void>((resolve) => server.listen(Number(callbackUrl.port || 80), callbackUrl.hostname, resolve));

// Plaza's encryption key from its JWKS. The JWE header must carry the key's `kid`: Plaza decrypts only with the key it
// names (it keeps older keys after a rotation), and refuses a request without one.
const { keys } = await (await fetch(config.serverMetadata().jwks_uri!)).json() as { keys: JWK[] };
const plazaKey = keys.find((k) => k.use === 'enc' && k.alg === 'RSA-OAEP-256');
if (!plazaKey) throw new Error('Plaza publishes no RSA-OAEP-256 encryption key');
const me = await (await client.fetchProtectedResource(config, accessToken, api('/me'), 'GET')).json() as { sub: string };
const request = { api: 'messages.post', user: me.sub, format: 'json', data: { group_id: process.env.GROUP_ID ?? 'hiking', text: 'Posted asynchronously' } };
const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(request)))
  .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: plazaKey.kid })
  .encrypt(await importJWK(plazaKey, 'RSA-OAEP-256'));

const submitted = await client.fetchProtectedResource(config, accessToken, api('/async'), 'POST', jwe, new Headers({ 'content-type': 'application/jose' }));
if (submitted.status !== 202) throw new Error(`POST /api/async answered ${submitted.status}: ${await submitted.text()}`);
const { job_id: jobId } = await submitted.json() as { job_id: string };
console.log(`async-caller example: job ${jobId} queued`);

// Wait (bounded) for this job's callback: verify the signature over the body as sent (the JWE), then decrypt it.
const deadline = Date.now() + 60_000;
for (;;) {
  const callback = callbacks.shift();
  if (callback) {
    // jsonParse: false, since the verified body is a JWE, not JSON.
    webhook.verify(callback.body, callback.headers as Record<string, string>, { jsonParse: false });
    const { plaintext } = await compactDecrypt(callback.body, await importJWK(appKey, appKey.alg));
    const event = JSON.parse(new TextDecoder().decode(plaintext)) as { type: string; data: { job_id: string } };
    if (event.data.job_id === jobId) {
      console.log(JSON.stringify(event));
      break;
    }
    continue;
  }
  if (Date.now() > deadline) throw new Error('no callback within a minute');
  await new Promise<void>((resolve) => { arrived = resolve; setTimeout(resolve, 1000); });
}
server.close();
