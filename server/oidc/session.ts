// Who is signed in, for Plaza's own pages. Signing in to them is an ordinary authorization request by Plaza's
// first-party account client, so the OP session is the only session there is.
import { randomBytes } from 'node:crypto';
import { sha256url } from '../store/index.ts';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import type { LocaleState, Viewer } from '../http/index.ts';
import type { Account, Accounts } from './accounts.ts';

export const ACCOUNT_CLIENT_ID = 'plaza-account';

export function accountClient(issuer: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Plaza account',
    plaza_first_party: true,
    token_endpoint_auth_method: 'none',
    redirect_uris: [`${issuer}/account/callback`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  };
}

/** Only Plaza's own pages may be returned to after sign-in. */
export function safeReturn(value: unknown): string {
  return typeof value === 'string' && /^\/(account|groups|developers)(\/[A-Za-z0-9/_-]*)?$/.test(value) ? value : '/account/apps';
}

export class BrowserSession {
  readonly #provider: Provider;
  readonly #accounts: Accounts;
  readonly #issuer: string;

  constructor(provider: Provider, accounts: Accounts, issuer: string) {
    this.#provider = provider;
    this.#accounts = accounts;
    this.#issuer = issuer;
  }

  /** Sends the browser through sign-in, then back to `returnTo`. */
  signIn(ctx: Context, returnTo: string): void {
    // The code is never redeemed: signing in only needs the OP session. PKCE is still required of every client.
    const challenge = sha256url(randomBytes(32));
    const url = new URL('/auth', this.#issuer);
    url.search = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID, response_type: 'code', scope: 'openid', redirect_uri: `${this.#issuer}/account/callback`,
      code_challenge: challenge, code_challenge_method: 'S256', state: safeReturn(returnTo),
    }).toString();
    ctx.redirect(url.href);
  }

  /** The signed-in account, or undefined after redirecting the browser to sign in. */
  async require(ctx: Context): Promise<Account | undefined> {
    const account = await this.current(ctx);
    if (!account) this.signIn(ctx, ctx.path);
    return account;
  }

  /**
   * The signed-in account or undefined, without sending anyone anywhere. Pages rendered after this show the account
   * menu, in the language the account chose.
   */
  async current(ctx: Context): Promise<Account | undefined> {
    const session = await this.#provider.Session.get(ctx as never);
    const account = session.accountId ? await this.#accounts.find(session.accountId) : undefined;
    if (account) Object.assign(ctx.state, { viewer: { name: account.name }, userLocale: account.locale } satisfies LocaleState & { viewer: Viewer });
    return account;
  }

  /** The id of this browser's OP session, to keep it when every other one of the account's ends. */
  async sessionId(ctx: Context): Promise<string> {
    return (await this.#provider.Session.get(ctx as never)).jti;
  }

  /** The OP session's id, the same for as long as this browser stays signed in: what short-lived records bind to. */
  async uid(ctx: Context): Promise<string> {
    return (await this.#provider.Session.get(ctx as never)).uid;
  }
}
