// How Plaza calls an app back: Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature with
// HMAC-SHA256 over "id.timestamp.body" and the client's whsec_ secret); the body encrypted as a JWE to the
// client's encryption key when it registered one. Every request goes through the outbound guard.
import { Webhook } from 'standardwebhooks';
import { CompactEncrypt, importJWK, type JWK } from 'jose';
import { OutboundRefused, OutboundTimeout, requestChecked } from '../http/index.ts';

export interface WebhookTarget {
  clientId: string;
  callbackUri: string;
  webhookSecret: string;
  /** The secret a rotation replaced, while its grace lasts: the request is signed with both (Standard Webhooks lists signatures). */
  previousWebhookSecret?: string;
  /** The client's `use: enc` key from its registered `jwks`, if any. */
  encryptionKey?: JWK;
}

export interface WebhookMessage {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export interface SendOutcome {
  at: number;
  delivered: boolean;
  status?: number;
  error?: string;
  /** From a 429's Retry-After, ms. */
  retryAfterMs?: number;
}

const ENCRYPTION_ALGS: Record<string, string> = { RSA: 'RSA-OAEP-256', EC: 'ECDH-ES' };

async function encryptTo(jwk: JWK, body: string): Promise<string> {
  const alg = jwk.alg ?? ENCRYPTION_ALGS[jwk.kty ?? ''];
  if (!alg) throw new Error('unsupported callback encryption key');
  const key = await importJWK(jwk, alg);
  return new CompactEncrypt(new TextEncoder().encode(body)).setProtectedHeader({ alg, enc: 'A256GCM', cty: 'json', ...(jwk.kid ? { kid: jwk.kid } : {}) }).encrypt(key);
}

function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const seconds = /^\d+$/.test(raw) ? Number(raw) : (Date.parse(raw) - Date.now()) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 86_400) * 1000 : undefined;
}

export class WebhookSender {
  readonly #options: { timeoutMs: number; allowLoopback: boolean };

  constructor(options: { timeoutMs: number; allowLoopback: boolean }) {
    this.#options = options;
  }

  async send(target: WebhookTarget, message: WebhookMessage): Promise<SendOutcome> {
    const now = new Date();
    const at = now.getTime();
    try {
      const json = JSON.stringify({ type: message.type, timestamp: now.toISOString(), data: message.data });
      const body = target.encryptionKey ? await encryptTo(target.encryptionKey, json) : json;
      const res = await requestChecked(target.callbackUri, {
        method: 'POST',
        body,
        headers: {
          'content-type': target.encryptionKey ? 'application/jose' : 'application/json',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(at / 1000)),
          'webhook-signature': [target.webhookSecret, target.previousWebhookSecret]
            .filter((secret) => secret !== undefined)
            .map((secret) => new Webhook(secret).sign(message.id, now, body))
            .join(' '),
        },
      }, this.#options);
      return { at, status: res.status, delivered: res.status >= 200 && res.status < 300, retryAfterMs: res.status === 429 ? retryAfterMs(res.headers['retry-after']) : undefined };
    } catch (err) {
      const error = err instanceof OutboundRefused ? `refused: ${err.message}` : err instanceof OutboundTimeout ? 'timeout' : 'network error';
      return { at, delivered: false, error };
    }
  }
}
