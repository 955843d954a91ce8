// Fixtures for the social API: groups, an app that receives action grants, and user tokens for the API.
import { randomBytes } from 'node:crypto';
import { API_SCOPES } from '../../server/oidc/index.ts';
import type { PlazaEndpoint, TestServer } from './harness.ts';
import { codeFor, redeemCode, seedBasics, ALICE, BOB, WEB } from './fixtures.ts';
import { tokenRequest } from './oauth.ts';
import type { WebhookReceiver } from './webhook_receiver.ts';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACTION_TICKET = 'urn:plaza:token-type:action-ticket';
export const INTERACTION_TICKET = 'urn:plaza:token-type:interaction-ticket';
export const ALL_API_SCOPES = API_SCOPES.join(' ');

export function posterApp(receiver: WebhookReceiver, clientId = 'poster') {
  return {
    client_id: clientId, client_secret: `${clientId}-secret-0123456789-0123456789`, client_name: clientId === 'poster' ? 'Poster App' : `${clientId} app`,
    grant_types: [TOKEN_EXCHANGE, 'refresh_token'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post',
    callback_uri: receiver.url, webhook_secret: `whsec_${randomBytes(32).toString('base64')}`,
  };
}

export type App = ReturnType<typeof posterApp>;

/** A bot that answers `/weather`, `@weatherbot` and shared messages. */
export function weatherBot(receiver: WebhookReceiver, clientId = 'weather', name = 'weather') {
  return {
    ...posterApp(receiver, clientId), client_name: clientId === 'weather' ? 'Weather Bot' : `${clientId} bot`,
    plaza_triggers: {
      commands: [{ name, description: 'The weather for a city', actions: ['messages:post'] }],
      mention: { name: `${name}bot`, actions: ['messages:post'] },
      share: { description: 'Tells the weather for a shared message', actions: ['messages:post'] },
    },
  };
}

export function redeemInteraction(server: PlazaEndpoint, app: { client_id: string; client_secret: string }, ticket: string) {
  return tokenRequest(server, {
    grant_type: TOKEN_EXCHANGE, subject_token: ticket, subject_token_type: INTERACTION_TICKET, client_id: app.client_id, client_secret: app.client_secret,
  });
}

/** alice and bob in "hiking", only alice in "chess"; the poster app and a second app registered. */
export async function seedSocial(server: TestServer, receiver: WebhookReceiver): Promise<{ poster: App; other: App }> {
  await seedBasics(server);
  const poster = posterApp(receiver);
  const other = posterApp(receiver, 'other-app');
  await server.plaza.admin.seed({
    clients: [poster, other],
    groups: [{ id: 'hiking', name: 'Weekend Hiking', members: [ALICE.username, BOB.username] }, { id: 'chess', name: 'Chess Club', members: [ALICE.username] }],
  });
  return { poster, other };
}

/** A first-party token for the Plaza API (or a token of `client`), got through the real sign-in and consent pages. */
export async function userApiToken(server: PlazaEndpoint, user: { username: string; password: string } = ALICE, scope = ALL_API_SCOPES,
  client: { client_id: string; client_secret: string } = WEB): Promise<string> {
  const resource = `${server.url}/api`;
  const { code, verifier } = await codeFor(server, client, { scope, resource }, user);
  const res = await redeemCode(server, code, verifier, client, { resource });
  if (res.status !== 200) throw new Error(`token request failed: ${JSON.stringify(res.body)}`);
  return res.body.access_token;
}

export function redeemTicket(server: PlazaEndpoint, app: { client_id: string; client_secret: string }, ticket: string, headers: Record<string, string> = {}, extra: Record<string, string> = {}) {
  return tokenRequest(server, {
    grant_type: TOKEN_EXCHANGE, subject_token: ticket, subject_token_type: ACTION_TICKET,
    client_id: app.client_id, client_secret: app.client_secret, ...extra,
  }, headers);
}

export async function api(server: PlazaEndpoint, method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/api${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, body: text ? JSON.parse(text) : undefined };
}
