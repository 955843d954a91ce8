// A bot that acts in a group once a member adds it there. Plaza POSTs `action.granted` (a Standard Webhooks request)
// to the bot's callback_uri; the bot verifies the signature, redeems the one-time action ticket (RFC 8693 token
// exchange) for a token limited to that group and those actions, and posts.
// Guide: docs/apps/action-bot.md. Register the bot with callback_uri <BOT_URL>/hooks (https, or http on loopback with
// ALLOW_INSECURE_CALLBACKS=1 in development), keep the webhook secret it is given, then run
//   PLAZA_ISSUER=http://localhost:3000 CLIENT_ID=my-bot CLIENT_SECRET=... WEBHOOK_SECRET=whsec_... BOT_URL=http://127.0.0.1:4001 \
//     npx node examples/action-bot.ts
import { createServer, type IncomingHttpHeaders } from 'node:http';
import * as client from 'openid-client';
import { Webhook } from 'standardwebhooks';

const issuer = new URL(process.env.PLAZA_ISSUER ?? 'http://localhost:3000');
const botUrl = new URL(process.env.BOT_URL ?? 'http://127.0.0.1:4001');
const text = process.env.BOT_MESSAGE ?? 'Hello! I was just added to this group.';
const insecure = issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(issuer, process.env.CLIENT_ID ?? 'my-bot', process.env.CLIENT_SECRET, undefined, insecure);
const webhook = new Webhook(process.env.WEBHOOK_SECRET ?? '');
const api = (path: string) => new URL(`${config.serverMetadata().issuer}/api${path}`);

interface ActionGranted { ticket: string; user: string; group_id: string; actions: string[]; expires_at: string }

// Plaza retries a webhook until it gets a 2xx, so one may arrive twice; a ticket redeemed twice is refused and its
// first token revoked, so each webhook-id is acted on once.
const seen = new Set<string>();

async function act(grant: ActionGranted): Promise<void> {
  if (!grant.actions.includes('messages:post')) return;
  const tokens = await client.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:token-exchange', {
    subject_token: grant.ticket,
    subject_token_type: 'urn:plaza:token-type:action-ticket',
  });
  const res = await client.fetchProtectedResource(config, tokens.access_token, api(`/groups/${encodeURIComponent(grant.group_id)}/messages`), 'POST',
    JSON.stringify({ text }), new Headers({ 'content-type': 'application/json' }));
  console.log(`posted in ${grant.group_id} as ${grant.user}: ${res.status}`);
}

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let event: { type: string; data: ActionGranted };
    try {
      // Verifies the HMAC over id, timestamp and the exact body, and that the timestamp is recent (replays).
      event = webhook.verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string> & IncomingHttpHeaders) as typeof event;
    } catch {
      res.writeHead(401).end();
      return;
    }
    // Acknowledge at once; the work happens after.
    res.writeHead(204).end();
    const id = String(req.headers['webhook-id']);
    if (event.type !== 'action.granted' || seen.has(id)) return;
    seen.add(id);
    act(event.data).catch((err) => console.error(`could not act on ${id}:`, err));
  });
}).listen(Number(botUrl.port || 80), botUrl.hostname, () => console.log(`action-bot example: listening on ${botUrl.href}hooks`));
