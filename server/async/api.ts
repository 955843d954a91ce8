// POST /api/async takes an encrypted request (a compact JWE to Plaza's published key), checks it as the sync
// API would, queues it and answers 202 at once; the result reaches the app by callback.
import Router from '@koa/router';
import type { Context } from 'koa';
import { compactDecrypt, importJWK, type CryptoKey, type JWK, type KeyObject, type JWEHeaderParameters } from 'jose';
import { HttpError, textBody } from '../http/index.ts';
import type { Caller, GrantCheck } from '../social/index.ts';
import { sha256url } from '../store/index.ts';
import type { Deliveries, Delivery } from './deliveries.ts';
import type { Job, Jobs } from './jobs.ts';
import type { AsyncOperation } from './operations.ts';
import { jobDeliveryId } from './worker.ts';

export const MAX_BODY = 256 * 1024;
export const KEY_ALGS = ['RSA-OAEP-256', 'ECDH-ES', 'ECDH-ES+A256KW'];
export const ENC_ALGS = ['A128GCM', 'A256GCM'];

export interface AsyncApiDeps {
  issuer: string;
  check: GrantCheck;
  jobs: Jobs;
  deliveries: Deliveries;
  operations: Record<string, AsyncOperation>;
  /** Plaza's private `use: enc` keys, newest first; older ones stay for the rotation grace period. */
  decryptionKeys: JWK[];
}


// An attempt's missing status or error is absent from the answer; the Mongo engine reads it back as null.
function viewDelivery(d: Delivery) {
  return { webhook_id: d.id, state: d.state, attempts: d.attempts.map((a) => ({ at: new Date(a.at).toISOString(), status: a.status ?? undefined, error: a.error ?? undefined })) };
}

async function viewJob(job: Job, deliveries: Deliveries, issuer: string) {
  return {
    job_id: job.id, api: job.api, state: job.state, status_url: `${issuer}/api/async/jobs/${job.id}`,
    created_at: new Date(job.createdAt).toISOString(),
    ...(job.finishedAt ? { finished_at: new Date(job.finishedAt).toISOString() } : {}),
    ...(job.state === 'succeeded' ? { result: job.result } : {}),
    ...(job.error ? { error: job.error } : {}),
    deliveries: (await deliveries.forJob(job.id)).map(viewDelivery),
  };
}

export function asyncApiRoutes(deps: AsyncApiDeps): Router {
  const { check, jobs, deliveries, operations, issuer } = deps;
  const router = new Router({ prefix: '/api/async' });
  const keys = new Map<string, { alg: string; key: Promise<CryptoKey | KeyObject | Uint8Array> }>();
  for (const jwk of deps.decryptionKeys) keys.set(jwk.kid!, { alg: jwk.alg!, key: importJWK(jwk, jwk.alg) });

  const caller = (ctx: Context) => check.authenticate({ authorization: ctx.get('authorization') || undefined, dpop: ctx.headers.dpop, method: ctx.method, url: `${issuer}${ctx.path}` });

  async function decrypt(jwe: string): Promise<unknown> {
    const keyFor = async (header: JWEHeaderParameters) => {
      const entry = header.kid ? keys.get(header.kid) : undefined;
      if (!entry || entry.alg !== header.alg) throw new HttpError(400, 'the request is not encrypted to one of Plaza\'s current keys (see jwks_uri, use "enc")');
      return entry.key;
    };
    try {
      const { plaintext } = await compactDecrypt(jwe, keyFor, { keyManagementAlgorithms: KEY_ALGS, contentEncryptionAlgorithms: ENC_ALGS });
      return JSON.parse(new TextDecoder().decode(plaintext));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, `the request could not be decrypted (allowed: alg ${KEY_ALGS.join(', ')}; enc ${ENC_ALGS.join(', ')})`, { code: 'invalid_request' });
    }
  }

  async function ownJob(ctx: Context, who: Caller): Promise<Job> {
    const job = await jobs.get(ctx.params.id);
    // Another client's job is not acknowledged to exist.
    if (!job || job.clientId !== who.clientId || job.sub !== who.sub) throw new HttpError(404, 'no such job');
    return job;
  }

  router.post('/', async (ctx) => {
    const who = await caller(ctx);
    if (!ctx.is('application/jose')) throw new HttpError(415, 'send the request as a compact JWE with Content-Type: application/jose');
    const request = await decrypt((await textBody(ctx.req, MAX_BODY)).trim());
    const r = request as { api?: unknown; user?: unknown; format?: unknown; data?: unknown };
    if (typeof r !== 'object' || r === null) throw new HttpError(400, 'the decrypted request must be a JSON object');
    const op = typeof r.api === 'string' && Object.hasOwn(operations, r.api) ? operations[r.api] : undefined;
    if (!op) throw new HttpError(400, `unknown api; one of: ${Object.keys(operations).join(', ')}`, { code: 'unknown_api' });
    if (r.format !== 'json') throw new HttpError(400, 'format must be "json"');
    if (r.user !== who.subjectOf(who.sub)) throw new HttpError(403, 'user must be the subject of the access token', { code: 'user_mismatch' });
    const input = op.validate(r.data);
    await check.permit(who, { permission: op.permission, groupId: input.group_id });

    const key = ctx.get('idempotency-key');
    if (key.length > 255) throw new HttpError(400, 'Idempotency-Key may be at most 255 characters');
    const id = key ? sha256url(`${who.clientId}\n${who.sub}\n${key}`).slice(0, 32) : undefined;
    const { job } = await jobs.submit({ id, clientId: who.clientId, sub: who.sub, grantId: who.grantId, api: r.api as string, input });
    if (job.api !== r.api) throw new HttpError(409, 'this Idempotency-Key was already used for another request');
    const statusUrl = `${issuer}/api/async/jobs/${job.id}`;
    ctx.status = 202;
    ctx.set('Location', statusUrl);
    ctx.body = { job_id: job.id, status_url: statusUrl, state: job.state };
  });

  router.get('/jobs/:id', async (ctx) => {
    ctx.body = await viewJob(await ownJob(ctx, await caller(ctx)), deliveries, issuer);
  });

  router.post('/jobs/:id/redeliver', async (ctx) => {
    const job = await ownJob(ctx, await caller(ctx));
    if (job.state !== 'succeeded' && job.state !== 'failed') throw new HttpError(409, 'the job has not finished yet');
    await deliveries.enableCallback(job.clientId);
    if (!await deliveries.redeliver(jobDeliveryId(job.id))) throw new HttpError(409, 'the job\'s callback is not queued yet');
    ctx.status = 202;
    ctx.body = await viewJob(job, deliveries, issuer);
  });

  return router;
}
