// The demo bot, so that a newcomer can watch the main job happen on one machine: added to a group on its page, it
// gets `action.granted` through the real outbox webhook, verifies it, redeems the ticket at Plaza's token endpoint
// over HTTP, as any app would, and posts. Development only (DEMO_BOT=1); its registration is the demo seed's.
import { readFileSync } from 'node:fs';
import Router from '@koa/router';
import { Webhook } from 'standardwebhooks';
import { HttpError, textBody, type Report } from '../http/index.ts';

const DEMO_BOT_ID = 'demo-bot';
const DEMO_BOT_HOOK = '/demo/bot/hooks';
const DEMO_BOT_MESSAGE = 'Hello from Demo Bot! I can post here because you added me to this group.';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACTION_TICKET = 'urn:plaza:token-type:action-ticket';
const MAX_BODY = 64 * 1024;
/** Webhook ids already acted on, newest last: a redelivered webhook must not redeem its ticket twice. */
const REMEMBERED = 1000;

interface Registration { client_id: string; client_secret: string; webhook_secret: string }
interface ActionGranted { ticket: string; group_id: string; actions: string[] }

/** The demo bot's client_id, client secret and webhook secret, as the demo seed file registers them. */
export function registrationIn(seedFile: string): Registration {
  const seed = JSON.parse(readFileSync(seedFile, 'utf8')) as { clients?: Registration[] };
  const registration = seed.clients?.find((c) => c.client_id === DEMO_BOT_ID);
  if (!registration) throw new Error(`${seedFile} registers no ${DEMO_BOT_ID}`);
  return registration;
}


async function answerOf(res: Response, what: string): Promise<Record<string, unknown>> {
  const body = await res.json().catch(() => ({})) as Record<string, unknown>;
  if (!res.ok) throw new Error(`the demo bot's ${what} answered ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export function demoBotRoutes(deps: { issuer: string; registration: Registration; report: Report }): Router {
  const { issuer, registration, report } = deps;
  const webhook = new Webhook(registration.webhook_secret);
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(registration.client_id)}:${encodeURIComponent(registration.client_secret)}`).toString('base64')}`;
  const seen = new Set<string>();

  async function act(grant: ActionGranted): Promise<void> {
    const tokens = await answerOf(await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE, subject_token: grant.ticket, subject_token_type: ACTION_TICKET }),
    }), 'ticket exchange');
    await answerOf(await fetch(`${issuer}/api/groups/${encodeURIComponent(grant.group_id)}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: DEMO_BOT_MESSAGE }),
    }), 'post');
  }

  return new Router().post(DEMO_BOT_HOOK, async (ctx) => {
    const body = await textBody(ctx.req, MAX_BODY);
    let event: { type?: string; data?: ActionGranted };
    try {
      event = webhook.verify(body, ctx.headers as Record<string, string>) as typeof event;
    } catch {
      throw new HttpError(401, 'the webhook signature does not verify');
    }
    ctx.status = 204;
    const id = ctx.get('webhook-id');
    if (event.type !== 'action.granted' || !event.data?.actions?.includes('messages:post') || seen.has(id)) return;
    seen.add(id);
    if (seen.size > REMEMBERED) seen.delete(seen.values().next().value!);
    // After the answer: Plaza's delivery waits for nothing but the 204.
    act(event.data).catch((err) => report(err));
  });
}
