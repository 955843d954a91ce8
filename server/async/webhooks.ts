// The one way Plaza calls an app back: Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature
// with HMAC-SHA256 over "id.timestamp.body" and the client's whsec_ secret). Bounded in time; redirects not followed.
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export interface WebhookTarget {
  clientId: string;
  callbackUri: string;
  webhookSecret: string;
}

export interface WebhookMessage {
  type: string;
  data: Record<string, unknown>;
}

export interface DeliveryAttempt {
  webhookId: string;
  at: number;
  delivered: boolean;
  status?: number;
  error?: string;
}

export class WebhookSender {
  readonly #timeoutMs: number;

  constructor(options: { timeoutMs: number }) {
    this.#timeoutMs = options.timeoutMs;
  }

  async send(target: WebhookTarget, message: WebhookMessage, webhookId = `msg_${randomUUID()}`): Promise<DeliveryAttempt> {
    const now = new Date();
    const body = JSON.stringify({ type: message.type, timestamp: now.toISOString(), data: message.data });
    const signature = new Webhook(target.webhookSecret).sign(webhookId, now, body);
    const at = now.getTime();
    try {
      const res = await fetch(target.callbackUri, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
        headers: {
          'content-type': 'application/json',
          'webhook-id': webhookId,
          'webhook-timestamp': String(Math.floor(at / 1000)),
          'webhook-signature': signature,
        },
        body,
      });
      await res.body?.cancel();
      return { webhookId, at, status: res.status, delivered: res.status >= 200 && res.status < 300 };
    } catch (err) {
      return { webhookId, at, delivered: false, error: (err as Error).name === 'TimeoutError' ? 'timeout' : 'network error' };
    }
  }
}
