// An app calling Plaza asynchronously, written with jose as an app would: encrypt to Plaza's published key.
import { CompactEncrypt, importJWK, type JWK } from 'jose';
import { randomBytes } from 'node:crypto';
import type { PlazaEndpoint } from './harness.ts';
import { codeFor, redeemCode, REDIRECT_URI } from './fixtures.ts';
import type { WebhookReceiver } from './webhook_receiver.ts';

export async function plazaEncryptionKey(server: PlazaEndpoint, alg: 'RSA-OAEP-256' | 'ECDH-ES' = 'RSA-OAEP-256'): Promise<JWK> {
  const { keys } = await (await fetch(`${server.url}/jwks`)).json() as { keys: JWK[] };
  return keys.find((k) => k.use === 'enc' && k.alg === alg)!;
}

export async function encryptRequest(jwk: JWK, payload: unknown, header: Record<string, unknown> = {}): Promise<string> {
  const alg = (header.alg as string) ?? jwk.alg!;
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg, enc: 'A256GCM', kid: jwk.kid, ...header })
    .encrypt(await importJWK(jwk, alg));
}

export function asyncApp(receiver: WebhookReceiver, clientId: string) {
  return {
    client_id: clientId, client_secret: `${clientId}-secret-0123456789-0123456789`, client_name: `${clientId} app`,
    redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post',
    callback_uri: receiver.url, webhook_secret: `whsec_${randomBytes(32).toString('base64')}`,
  };
}

export async function appUserToken(server: PlazaEndpoint, app: { client_id: string; client_secret: string }, scope = 'messages:read messages:post'): Promise<string> {
  const resource = `${server.url}/api`;
  const { code, verifier } = await codeFor(server, app, { scope, resource });
  const res = await redeemCode(server, code, verifier, app, { resource });
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return res.body.access_token;
}

export async function submit(server: PlazaEndpoint, token: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api/async`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/jose', ...headers }, body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, type: res.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
}

export async function jobStatus(server: PlazaEndpoint, token: string, jobId: string) {
  const res = await fetch(`${server.url}/api/async/jobs/${jobId}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() as Record<string, any> };
}

/** Polls the job's status until the predicate holds (bounded in count and time). */
export async function waitForJob(server: PlazaEndpoint, token: string, jobId: string, done: (job: Record<string, any>) => boolean, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (let i = 0; i < 1000 && Date.now() < until; i += 1) {
    const { body } = await jobStatus(server, token, jobId);
    if (done(body)) return body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${jobId} did not get there in time`);
}
