// Issues Plaza API tokens for grants Plaza creates itself (token exchange), the same way oidc-provider's own
// grants do: a Grant in the store, an RFC 9068 access token, and a refresh token when the client may have one.
import type { KoaContextWithOIDC, ResourceServer } from 'oidc-provider';
import type { Account, Accounts } from './accounts.ts';
import { bindsRefreshToken } from './bind_refresh_tokens.ts';
import { apiScopesFor } from './first_party.ts';
import { subjectsOfTokens } from './subjects.ts';
import { TOKEN_EXCHANGE, TOKEN_TYPES } from './token_exchange.ts';
import { metadataOf } from './client_metadata.ts';

export interface IssueRequest {
  grantId: string;
  accountId: string;
  scope: string;
  /** Binds the tokens to this DPoP key thumbprint. */
  dpopJkt?: string;
  refresh: boolean;
  /** Lifetime of the access token, seconds, when shorter than the API's default. */
  ttl?: number;
  /** OpenID scopes for an ID token ("openid profile"); none when empty. */
  idTokenScope?: string;
  /** The `sub` the access token names the user by when the grant is another client's: that client's `sub` for them. */
  subject?: string;
  /** Extra members of the token response (e.g. `authorization_details`). */
  response?: Record<string, unknown>;
}

export class ApiTokenIssuer {
  readonly #resource: string;
  readonly #server: ResourceServer;
  readonly #accounts: Accounts;
  readonly #claims: (account: Account, clientId: string) => Promise<Record<string, unknown>>;

  /** `claims` are an account's claims for a client, as the ID tokens of oidc-provider's own grants have them. */
  constructor(resource: string, server: ResourceServer, accounts: Accounts, claims: (account: Account, clientId: string) => Promise<Record<string, unknown>>) {
    this.#resource = resource;
    this.#server = server;
    this.#accounts = accounts;
    this.#claims = claims;
  }

  /** A grant for the client; with `ttl` (seconds) it ends then instead of after the configured grant lifetime. */
  async createGrant(ctx: KoaContextWithOIDC, accountId: string, scope: string, oidcScope = '', ttl?: number): Promise<string> {
    const grant = new ctx.oidc.provider.Grant({ accountId, clientId: ctx.oidc.client!.clientId, ...(ttl ? { expiresIn: ttl } : {}) });
    grant.addResourceScope(this.#resource, scope);
    if (oidcScope) grant.addOIDCScope(oidcScope);
    return grant.save();
  }

  async #idToken(ctx: KoaContextWithOIDC, accountId: string, scope: string): Promise<string | undefined> {
    const account = await this.#accounts.find(accountId);
    if (!account) return undefined;
    // oidc-provider puts the client's pairwise `sub` in place of the account id, as in its own ID tokens.
    const token = new ctx.oidc.provider.IdToken(await this.#claims(account, ctx.oidc.client!.clientId), { ctx });
    (token as unknown as { scope: string }).scope = scope;
    return token.issue({ use: 'idtoken' });
  }

  async issue(ctx: KoaContextWithOIDC, request: IssueRequest): Promise<Record<string, unknown>> {
    const { provider } = ctx.oidc;
    const client = ctx.oidc.client!;
    // As oidc-provider does for its own grants: only the scopes this client may hold, whatever the subject token had.
    const allowed = apiScopesFor(metadataOf(client));
    const scope = request.scope.split(' ').filter((s) => allowed.includes(s)).join(' ');
    const at = new provider.AccessToken({
      accountId: request.accountId, client, grantId: request.grantId, gty: TOKEN_EXCHANGE, scope: scope || undefined,
    });
    at.resourceServer = new provider.ResourceServer(this.#resource, request.ttl ? { ...this.#server, accessTokenTTL: request.ttl } : this.#server);
    if (request.dpopJkt) at.setThumbprint('jkt', request.dpopJkt);
    if (request.subject) subjectsOfTokens.set(at, request.subject);
    ctx.oidc.entity('AccessToken', at);
    const accessToken = await at.save();

    let refreshToken: string | undefined;
    if (request.refresh && client.grantTypeAllowed('refresh_token')) {
      const rt = new provider.RefreshToken({
        accountId: request.accountId, client, grantId: request.grantId, gty: TOKEN_EXCHANGE,
        scope: [request.idTokenScope, scope].filter(Boolean).join(' '), resource: this.#resource,
      });
      if (request.dpopJkt && bindsRefreshToken(client)) rt.jkt = request.dpopJkt;
      refreshToken = await rt.save();
    }
    const idToken = request.idTokenScope ? await this.#idToken(ctx, request.accountId, request.idTokenScope) : undefined;
    return {
      access_token: accessToken,
      issued_token_type: TOKEN_TYPES.accessToken,
      token_type: at.tokenType,
      expires_in: at.expiration,
      ...(scope ? { scope } : {}),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      ...(idToken ? { id_token: idToken } : {}),
      ...request.response,
    };
  }
}
