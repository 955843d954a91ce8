// The OpenID Provider: oidc-provider configured on Plaza's store, with Plaza's accounts, pages and keys.
// Capabilities plug in through `tokenExchange`, `addTokenClaims`, `addGrantDescriber`, `addAppDescriber` and `onGrantRevoked`, which
// plaza.ts calls with what each capability's factory returns (a `Capability`).
import Provider, { type ClientMetadata } from 'oidc-provider';
import type { JWK } from 'jose';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { PlazaConfig } from '../config/index.ts';
import { errorView, tr, type Views } from '../http/index.ts';
import { sharedSecret, type SecretBox, type Store } from '../store/index.ts';
import { AccountEvents, type AccountEventListener } from './account_events.ts';
import { accountRoutes } from './account_pages.ts';
import { Accounts, type Account } from './accounts.ts';
import { accessTokenVerifier, type AccessTokenVerifier } from './access_token.ts';
import { createAdapter, MODELS, modelCollection, revokeGrant } from './adapter.ts';
import { bindRefreshTokens } from './bind_refresh_tokens.ts';
import type { AppDescriber, AppFacts, GrantDescriber } from './capability.ts';
import { clientInput, Clients, newClientId, newWebhookSecret, standingOf, type ClientField, type ClientStanding } from './clients.ts';
import { DpopVerifier } from './dpop.ts';
import { providerMetadata } from './client_secrets.ts';
import { acceptPreviousClientSecret } from './previous_client_secret.ts';
import { DEVELOPER_POLICY, developerPolicy, InitialAccessTokens, registeredClientWriter, registrationObserver } from './registration.ts';
import { apiResourceServer, buildConfiguration, resourceIndicators, type OidcSetup, type TokenClaimSource } from './configuration.ts';
import { interactionRoutes } from './interactions.ts';
import { Invitations } from './invitations.ts';
import { introspectJwt } from './introspect_jwt.ts';
import { ApiTokenIssuer } from './issue_tokens.ts';
import { loadCookieKeys, loadKeys, publicJwks } from './keys.ts';
import { ClientAuthThrottle } from './client_auth_throttle.ts';
import { tokenLiveCheck, type TokenLiveCheck } from './live_token.ts';
import { LoginThrottle } from './login_throttle.ts';
import { postRequestRoutes } from './post_requests.ts';
import { replayRecord } from './replay_record.ts';
import { revokeJwt } from './revoke_jwt.ts';
import { RevokedTokens } from './revoked_tokens.ts';
import { ACCOUNT_CLIENT_ID, accountClient, BrowserSession } from './session.ts';
import { accountClaims, releasedClaims } from './claims.ts';
import { metadataOf } from './client_metadata.ts';
import { Subjects, UNION_ID, type SubjectView } from './subjects.ts';
import { structuredTokens } from './structured_tokens.ts';
import { EXCHANGE_PARAMETERS, TOKEN_EXCHANGE, TokenExchange } from './token_exchange.ts';
import { tokenRateLimit } from './token_rate_limit.ts';

export { ACCOUNT_INPUT, EMAIL_SCHEMA, viewAccount, type Account, type AccountView } from './accounts.ts';
export { CLIENT_ID, type ClientField, type ClientMetadata, type ClientStanding, type Registered, type Registration } from './clients.ts';
export type { SecretField } from './client_secrets.ts';
export type { InitialAccessTokens, InitialAccessTokenView } from './registration.ts';
export { OPERATOR_ONLY_FIELDS, type Registrar } from './operator_fields.ts';
export { rotateKeys } from './keys.ts';
export { modelCollection } from './adapter.ts';
export { TOKEN_REQUESTS } from './token_rate_limit.ts';
export { DpopVerifier, DpopProofError, DpopNonceError, type DpopProof, type ProofRequest } from './dpop.ts';
export { checkTokenBinding, presentedToken, type PresentedToken, type ResourceRequest } from './check_token_binding.ts';
export { FAPI_PROFILES } from './client_flags.ts';
export { resourceIndicators, type TokenClaimSource } from './configuration.ts';
export { API_SCOPES, ADMIN_SCOPE, getsRefreshToken, OIDC_SCOPES, type ApiScope } from './scopes.ts';
export { apiScopesFor, isFirstParty } from './first_party.ts';
export { Subjects, UNION_ID, type SubjectView } from './subjects.ts';
export { metadataOf } from './client_metadata.ts';
export { InsufficientScopeError, InvalidTokenError, type AccessTokenClaims, type AccessTokenVerifier } from './access_token.ts';
export { exchangeError, TOKEN_EXCHANGE, TOKEN_TYPES, type ExchangeHandler, type ExchangeRequest } from './token_exchange.ts';
export type { ApiTokenIssuer, IssueRequest } from './issue_tokens.ts';
export type { BrowserSession } from './session.ts';
export type { AppDescriber, AppFacts, Capability, GrantDescriber } from './capability.ts';
export type { AccountEvent, AccountEventListener } from './account_events.ts';
export { Accounts, Clients };

export interface Oidc {
  provider: Provider;
  accounts: Accounts;
  clients: Clients;
  session: BrowserSession;
  routers: Router[];
  /** Refuses token requests from a client over its allowance, or after too many wrong credentials (429), in front of oidc-provider. */
  tokenRateLimit: Middleware;
  /**
   * Around oidc-provider's endpoints: answers revocation and introspection of Plaza's JWT access tokens, which it
   * does not, and binds a terminal-bound client's refresh tokens to its key.
   */
  observers: Middleware[];
  resources: ReturnType<typeof resourceIndicators>;
  /** Signature, issuer, audience, expiry and revocation of a Plaza JWT access token. */
  verifyAccessToken: AccessTokenVerifier;
  /** Whether a verified token still stands for something: its grant, or its client and the client's scopes. */
  checkTokenLive: TokenLiveCheck;
  /** Plaza's private `use: enc` keys, newest first. */
  decryptionKeys: JWK[];
  /** RFC 9449 proofs and nonces, for the token exchange and Plaza's resource servers. */
  dpop: DpopVerifier;
  tokenExchange: TokenExchange;
  apiTokens: ApiTokenIssuer;
  addTokenClaims(source: TokenClaimSource): void;
  addGrantDescriber(describer: GrantDescriber): void;
  addAppDescriber(describer: AppDescriber): void;
  /** Revokes a grant and every token issued under it, and tells every listener. */
  revokeGrant(grantId: string): Promise<void>;
  onGrantRevoked(listener: (grantId: string) => void | Promise<void>): void;
  /** Told of sign-ups, consents, removed access and password changes, for the user's activity. */
  onAccountEvent(listener: AccountEventListener): void;
  /** Revokes every grant a client holds (when it is removed). */
  revokeClientGrants(clientId: string): Promise<number>;
  /**
   * A grant that still exists (was neither revoked nor expired) and whose client may still use it (is not suspended):
   * the account it acts for; undefined for any other.
   */
  liveGrant(grantId: string): Promise<LiveGrant | undefined>;
  /** What each app knows a user by: the `sub` of its tokens, its API answers and its webhooks. */
  subjects: Subjects;
  /** RFC 7591 initial access tokens, for developers (the console) and the operator (the CLI). */
  initialAccessTokens: InitialAccessTokens;
  /** Who is behind an app, for the pages that ask a user about it. */
  publisherOf(clientId: string): Promise<Publisher>;
}

/** A grant in force. */
export interface LiveGrant {
  accountId: string;
  clientId: string;
  /** How the grant's client knows users. */
  subjectOf: SubjectView;
  /** The account's claims the user released to the grant's client (`releasedClaims`). */
  released: ReadonlySet<string>;
}

/** What a user is told about who made an app before they let it in. */
export interface Publisher {
  /** The display name of the developer who owns it; none for the operator's apps. */
  developer?: string;
  /** The host of its website (`client_uri`). */
  website?: string;
  /** Registered by the operator, or checked by the operator. */
  verified: boolean;
}

/** An app is verified when the operator registered it or checked the developer who did. */
export function isVerified(standing: ClientStanding): boolean {
  return standing.registrar === 'operator' || standing.verified === true;
}

export interface OidcDeps {
  config: OidcSetup['config'] & Pick<PlazaConfig, 'dpopIatWindow' | 'cookieKeys' | 'loginThrottle' | 'tokenRate' | 'initialAccessTokenTtl' | 'signup'>;
  store: Store;
  views: Views;
  /** Seals client and webhook secrets, keys and cookie keys at rest. */
  box: SecretBox;
  /** Plaza's own clients, registered in code. */
  staticClients: ClientMetadata[];
  /** Client metadata defined by capabilities (an app's triggers), by field. */
  clientMetadata?: Record<string, ClientField>;
  report: (err: unknown) => void;
}

export async function createOidc(deps: OidcDeps): Promise<Oidc> {
  const { config, store, views } = deps;
  const accounts = new Accounts(store);
  const keys = await loadKeys(store, deps.box);
  const dpop = await DpopVerifier.create(store, deps.box, { iatWindowSeconds: config.dpopIatWindow, requireNonce: config.dpopRequireNonce }, replayRecord(store));
  // Opened now, not when oidc-provider first needs them, so their indexes exist from the start.
  for (const model of MODELS) modelCollection(store, model);
  const tokenClaimSources: TokenClaimSource[] = [];
  const builtInClients = [accountClient(config.issuer), ...deps.staticClients];
  const builtIn = new Map(builtInClients.map((c) => [c.client_id, c as Record<string, unknown>]));
  // The registry needs the provider this configuration builds; the subjects are asked for clients only once it runs.
  let clients: Clients | undefined;
  const subjects = new Subjects(await sharedSecret(store, deps.box, 'pairwise-subjects'), async (id) => builtIn.get(id) ?? await clients!.get(id));
  // The claims of an account for one client: an owned client's users also have their union id.
  const claimsFor = async (account: Account, clientId: string | undefined) => {
    const owner = clientId ? (await clients!.standing(clientId))?.owner : undefined;
    return { ...accountClaims(account), ...(owner ? { [UNION_ID]: subjects.unionId(owner, account.id) } : {}) };
  };
  // The registration policy needs the initial access tokens, which need the provider this configuration builds.
  let initialAccessTokens: InitialAccessTokens | undefined;
  const grantDescribers: GrantDescriber[] = [];
  const appDescribers: AppDescriber[] = [];
  const revocationListeners: ((grantId: string) => void | Promise<void>)[] = [];
  const revoke = async (grantId: string) => {
    await revokeGrant(store, grantId);
    for (const listener of revocationListeners) await listener(grantId);
  };
  const configuration = buildConfiguration({
    config,
    dpopNonceSecret: dpop.nonceSecret,
    accounts,
    tokenClaimSources,
    // A suspended client is not there for oidc-provider: it authenticates nowhere and its tokens resolve to nothing.
    adapter: createAdapter(
      store,
      { Client: (payload) => (standingOf(payload).suspended ? undefined : providerMetadata(payload, deps.box) as never) },
      { Client: registeredClientWriter(deps.box) },
    ),
    clientMetadata: Object.fromEntries(Object.entries(deps.clientMetadata ?? {}).map(([name, field]) => [name, field.check])),
    registrationPolicies: { [DEVELOPER_POLICY]: (ctx, properties) => developerPolicy(initialAccessTokens!, newWebhookSecret)(ctx, properties) },
    newClientId,
    pairwiseSubject: (metadata, accountId) => subjects.seenBy(metadata, accountId),
    accountClaims: claimsFor,
    keys,
    cookieKeys: await loadCookieKeys(store, deps.box, config.cookieKeys),
    // oidc-provider's own pages, in the language the request asked for; an error offers the way back to the app.
    pages: {
      error: (ctx, out) => {
        ctx.state.uiLocales = ctx.oidc?.params?.ui_locales;
        const client = ctx.oidc?.client;
        const app = client ? { name: client.clientName ?? client.clientId, url: client.clientUri } : undefined;
        views.page(ctx, 'error', errorView(ctx, { status: ctx.status, code: out.error, message: out.error_description, app }), ctx.status);
      },
      logout: (ctx, form) => {
        ctx.state.uiLocales = ctx.oidc?.params?.ui_locales;
        views.page(ctx, 'logout', { title: tr(ctx)('logout.title'), form, host: ctx.host });
      },
      loggedOut: (ctx) => {
        ctx.state.uiLocales = ctx.oidc?.params?.ui_locales;
        views.page(ctx, 'logged_out', { title: tr(ctx)('logged_out.title'), client: ctx.oidc.client?.clientName ?? '' });
      },
    },
  });
  configuration.clients = builtInClients;
  const provider = new Provider(config.issuer, configuration);
  provider.on('server_error', (_ctx, err) => deps.report(err));
  initialAccessTokens = new InitialAccessTokens(store, provider, config.initialAccessTokenTtl);
  clients = new Clients(store, provider, deps.box, new Set(builtInClients.map((c) => c.client_id)), clientInput(deps.clientMetadata ?? {}));
  const registry = clients;
  acceptPreviousClientSecret(provider, (clientId, secret) => registry.isPreviousClientSecret(clientId, secret));

  const tokenExchange = new TokenExchange(dpop);
  provider.registerGrantType(TOKEN_EXCHANGE, tokenExchange.handle, EXCHANGE_PARAMETERS, ['audience', 'resource']);

  const session = new BrowserSession(provider, accounts, config.issuer);
  const resources = resourceIndicators(config.issuer);
  const revoked = new RevokedTokens(store);
  const verifyAccessToken = accessTokenVerifier(config.issuer, publicJwks(keys, 'sig'), revoked);
  const grants = modelCollection(store, 'Grant');
  // On every API call: the stored grant's account and client only, parsing no grant into an oidc-provider model
  // (expiry is the store's); a suspended or removed client's grants count as gone.
  const liveGrant = async (grantId: string): Promise<LiveGrant | undefined> => {
    const payload = (await grants.get(grantId))?.payload;
    const client = typeof payload?.clientId === 'string' ? await provider.Client.find(payload.clientId) : undefined;
    if (!client || typeof payload?.accountId !== 'string') return undefined;
    const metadata = metadataOf(client);
    const granted = payload.openid as { scope?: string; claims?: string[] } | undefined;
    return { accountId: payload.accountId, clientId: client.clientId, subjectOf: subjects.view(metadata), released: releasedClaims(metadata, granted) };
  };
  const revokeClientGrants = async (clientId: string) => {
    const clientGrants = await grants.find({ clientId });
    for (const grant of clientGrants) await revoke(grant.id);
    return clientGrants.length;
  };
  const checkTokenLive = tokenLiveCheck(provider, liveGrant);
  const audiences = [resources.api, resources.admin];
  const publisherOf = async (clientId: string): Promise<Publisher> => {
    const metadata = await registry.get(clientId);
    const standing = await registry.standing(clientId) ?? { registrar: 'operator' };
    const developer = standing.owner ? (await accounts.find(standing.owner))?.name : undefined;
    const website = typeof metadata?.client_uri === 'string' ? URL.parse(metadata.client_uri)?.hostname : undefined;
    return { developer, website, verified: isVerified(standing) };
  };
  const throttle = new LoginThrottle(store, config.loginThrottle);
  const invitations = new Invitations(store);
  const events = new AccountEvents();
  const routers = [
    postRequestRoutes([provider.pathFor('authorization'), provider.pathFor('end_session')]),
    interactionRoutes({
      provider, accounts, views, throttle,
      firstPartyClients: new Set([ACCOUNT_CLIENT_ID]),
      publisherOf,
      signup: config.signup, invitations, events,
    }),
    accountRoutes({
      provider, store, accounts, session, views, throttle, signup: config.signup, invitations, events, revokeGrant: revoke,
      async describeGrants(grantIds, t) {
        const all = new Map<string, string[]>();
        for (const describe of grantDescribers) {
          for (const [id, words] of await describe(grantIds, t)) all.set(id, [...all.get(id) ?? [], ...words]);
        }
        return all;
      },
      async describeApps(sub, grantsByApp, t) {
        const all = new Map<string, AppFacts>();
        for (const describe of appDescribers) {
          for (const [clientId, facts] of await describe(sub, grantsByApp, t)) {
            const known = all.get(clientId) ?? {};
            all.set(clientId, {
              devices: [...known.devices ?? [], ...facts.devices ?? []],
              pageVisited: Math.max(known.pageVisited ?? 0, facts.pageVisited ?? 0) || undefined,
              lastActed: Math.max(known.lastActed ?? 0, facts.lastActed ?? 0) || undefined,
            });
          }
        }
        return all;
      },
    }),
  ];
  return {
    provider, accounts, session, routers, resources, tokenExchange, dpop, verifyAccessToken, checkTokenLive, liveGrant, subjects,
    observers: [
      structuredTokens({
        revoke: revokeJwt({ verify: verifyAccessToken, audiences, revoked }),
        introspect: introspectJwt({ verify: verifyAccessToken, audiences, checkLive: checkTokenLive }),
      }),
      bindRefreshTokens(),
      registrationObserver(revokeClientGrants),
    ],
    tokenRateLimit: tokenRateLimit(store, provider.pathFor('token'), config.tokenRate, new ClientAuthThrottle(store, { ...config.loginThrottle, syncMs: config.tokenRate.syncMs }), deps.report),
    clients: registry,
    initialAccessTokens,
    publisherOf,
    decryptionKeys: keys.filter((k) => k.use === 'enc'),
    apiTokens: new ApiTokenIssuer(resources.api, apiResourceServer(config), accounts, claimsFor),
    addTokenClaims: (source) => { tokenClaimSources.push(source); },
    addGrantDescriber: (describer) => { grantDescribers.push(describer); },
    addAppDescriber: (describer) => { appDescribers.push(describer); },
    revokeGrant: revoke,
    onGrantRevoked: (listener) => { revocationListeners.push(listener); },
    onAccountEvent: (listener) => events.listen(listener),
    revokeClientGrants,
  };
}
