// An app's callback endpoint on loopback: records every webhook it receives and answers with a chosen status.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
}

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  status = 204;
  /** Answers for the next requests, in order (status, and optional headers); then `status`. */
  readonly answers: { status: number; headers?: Record<string, string> }[] = [];
  url = '';
  #server?: Server;
  #waiters: ((w: ReceivedWebhook) => void)[] = [];

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const hook = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.received.push(hook);
        this.#waiters.shift()?.(hook);
        const answer = this.answers.shift() ?? { status: this.status };
        res.writeHead(answer.status, answer.headers).end();
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as { port: number }).port}/hooks`;
    return this;
  }

  /** The next webhook to arrive (or one that already arrived and was not yet taken), within a bounded time, long enough for a loaded machine. */
  next(timeoutMs = 30_000): Promise<ReceivedWebhook> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no webhook arrived')), timeoutMs);
      this.#waiters.push((w) => { clearTimeout(timer); resolve(w); });
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}
