// A bot that answers when asked: a member types `/weather Berlin` in a group where a member let the bot answer when
// asked. Plaza POSTs `interaction.created` (a Standard Webhooks request) to the bot's callback_uri; the bot verifies
// the signature, redeems the one-time interaction ticket (RFC 8693 token exchange) for a token that may only reply to
// that message, a few times, for 15 minutes, and replies.
// Guide: docs/apps/command-bot.md. Register the bot (developer console: "Bot with action grants", slash command
// `/weather The weather for a city`, @-mention `weatherbot`) with callback_uri <BOT_URL>/hooks (https, or http on
// loopback with ALLOW_INSECURE_CALLBACKS=1 in development), keep the webhook secret it is given, then run
//   PLAZA_ISSUER=http://localhost:3000 CLIENT_ID=my-bot CLIENT_SECRET=... WEBHOOK_SECRET=whsec_... BOT_URL=http://127.0.0.1:4002 \
//     npx node examples/command-bot.ts
import { createServer, type IncomingHttpHeaders } from 'node:http';
import * as client from 'openid-client';
import { Webhook } from 'standardwebhooks';

const issuer = new URL(process.env.PLAZA_ISSUER ?? 'http://localhost:3000');
const botUrl = new URL(process.env.BOT_URL ?? 'http://127.0.0.1:4002');
const insecure = issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(issuer, process.env.CLIENT_ID ?? 'my-bot', process.env.CLIENT_SECRET, undefined, insecure);
const webhook = new Webhook(process.env.WEBHOOK_SECRET ?? '');
const api = (path: string) => new URL(`${config.serverMetadata().issuer}/api${path}`);

interface InteractionCreated {
  ticket: string;
  expires_at: string;
  trigger: { type: 'command' | 'mention' | 'share'; name?: string };
  /** What followed the command; the whole message for a mention; empty for a share. */
  arguments: string;
  message: { id: string; group_id: string; text: string };
  group: { id: string; name: string };
  /** The member who asked: the reply is posted as them, "via" the bot. */
  user: string;
  actions: string[];
}

/** The bot's own logic; a real one would look the weather up. */
function answerTo(event: InteractionCreated): string {
  const city = event.trigger.type === 'command' ? event.arguments || 'your city' : 'the trailhead';
  return `Weather for ${city}: 21°C and sunny.`;
}

// Plaza retries a webhook until it gets a 2xx, so one may arrive twice; a ticket redeemed twice is refused and its
// first token revoked, so each webhook-id is acted on once.
const seen = new Set<string>();

async function reply(event: InteractionCreated): Promise<void> {
  if (!event.actions.includes('messages:post')) return;
  const tokens = await client.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:token-exchange', {
    subject_token: event.ticket,
    subject_token_type: 'urn:plaza:token-type:interaction-ticket',
  });
  // The token answers this message only: a post without `reply_to` set to it is refused (403).
  const res = await client.fetchProtectedResource(config, tokens.access_token, api(`/groups/${encodeURIComponent(event.group.id)}/messages`), 'POST',
    JSON.stringify({ text: answerTo(event), reply_to: event.message.id }), new Headers({ 'content-type': 'application/json' }));
  console.log(`answered ${event.message.id} in ${event.group.id}: ${res.status}`);
}

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let event: { type: string; data: InteractionCreated };
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
    if (event.type !== 'interaction.created' || seen.has(id)) return;
    seen.add(id);
    reply(event.data).catch((err) => console.error(`could not answer ${id}:`, err));
  });
}).listen(Number(botUrl.port || 80), botUrl.hostname, () => console.log(`command-bot example: listening on ${botUrl.href}hooks`));
