// A developer at the console over HTTP: signed in with the real pages, creating apps with the real forms.
import type { PlazaEndpoint } from './harness.ts';
import { Browser, authorize, basicAuth, csrfOf, tokenRequest } from './oauth.ts';
import { ACTION_TICKET, TOKEN_EXCHANGE } from './social.ts';

export interface ConsoleSession {
  browser: Browser;
  /** The console's front page. */
  html: string;
}

/** Signs `user` in to /developers through Plaza's own sign-in. */
export async function signInToConsole(server: PlazaEndpoint, user: { username: string; password: string }): Promise<ConsoleSession> {
  const browser = new Browser();
  const first = await browser.fetch(`${server.url}/developers`);
  const signIn = new URL(first.headers.get('location')!, server.url);
  await authorize(server, browser, Object.fromEntries(signIn.searchParams), { ...user, redirectUri: `${server.url}/account/callback` });
  const page = await browser.fetch(`${server.url}/developers`);
  if (page.status !== 200) throw new Error(`console answered ${page.status}`);
  return { browser, html: await page.text() };
}

export interface CreatedApp {
  /** The form post's status: 303 to the one-time reveal when the app was made. */
  status: number;
  /** Where the post redirected: the page that shows the new secrets once. */
  revealUrl?: string;
  /** The reveal page, or the form again with its error. */
  html: string;
  clientId: string;
  clientSecret?: string;
  webhookSecret?: string;
}

const shown = (html: string, name: string) => new RegExp(`data-secret="${name}">([^<]+)<`).exec(html)?.[1];

/** Follows a form post's redirect to the page that reveals its new secret; its URL and HTML. */
export async function followReveal(server: PlazaEndpoint, session: ConsoleSession, res: Response): Promise<{ url: string; html: string }> {
  if (res.status !== 303) throw new Error(`expected a redirect to the reveal, got ${res.status}`);
  const url = new URL(res.headers.get('location')!, server.url).href;
  return { url, html: await (await session.browser.fetch(url)).text() };
}

/** Posts the console's "New app" form and follows it to the one page that shows the secrets. */
export async function createApp(server: PlazaEndpoint, session: ConsoleSession, form: Record<string, string>): Promise<CreatedApp> {
  const res = await session.browser.postForm(`${server.url}/developers/apps`, { _csrf: csrfOf(session.html), ...form });
  const reveal = res.status === 303 ? await followReveal(server, session, res) : undefined;
  const html = reveal?.html ?? await res.text();
  return {
    status: res.status, revealUrl: reveal?.url, html,
    clientId: /data-client-id>([^<]+)</.exec(html)?.[1] ?? '',
    clientSecret: shown(html, 'client_secret'),
    webhookSecret: shown(html, 'webhook_secret'),
  };
}

/** Posts a form on an app's console page (rotate, ping, redeliver, delete, save) with a fresh CSRF token. */
export async function appForm(server: PlazaEndpoint, session: ConsoleSession, path: string, form: Record<string, string> = {}): Promise<Response> {
  return session.browser.postForm(`${server.url}/developers${path}`, { _csrf: csrfOf(session.html), ...form });
}

export function shownSecret(html: string, name: 'client_secret' | 'webhook_secret' | 'initial_access_token'): string | undefined {
  return shown(html, name);
}

/** Whether the client authenticates with this secret: introspection answers 200 to a client it let in. */
export async function authenticates(server: PlazaEndpoint, clientId: string, secret: string): Promise<boolean> {
  const res = await fetch(`${server.url}/token/introspection`, {
    method: 'POST',
    headers: { authorization: basicAuth(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: 'not-a-token' }),
  });
  return res.status === 200;
}

/** A bot redeems its action (or interaction) ticket, authenticating with HTTP Basic as console apps do. */
export function redeemTicketBasic(server: PlazaEndpoint, app: { clientId: string; clientSecret: string }, ticket: string, ticketType = ACTION_TICKET) {
  return tokenRequest(server, { grant_type: TOKEN_EXCHANGE, subject_token: ticket, subject_token_type: ticketType }, { authorization: basicAuth(app.clientId, app.clientSecret) });
}
