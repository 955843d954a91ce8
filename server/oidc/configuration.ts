// The oidc-provider configuration: what Plaza turns on, and the policies it sets where the defaults are placeholders.
import { errors, type Configuration, type KoaContextWithOIDC, type ResourceServer, type ClientAuthMethod } from 'oidc-provider';
import type { JWK } from 'jose';
import type { PlazaConfig } from '../config/index.ts';
import type { Account, Accounts } from './accounts.ts';
import { PASSWORD_ACR, SCOPE_CLAIMS } from './claims.ts';
import { CLIENT_FLAGS, fapiProfileOf, isTerminalBound, validateClientFlag } from './client_flags.ts';
import { pkceRequired } from './pkce_policy.ts';
import { API_SCOPES, ADMIN_SCOPE, getsRefreshToken, OIDC_SCOPES } from './scopes.ts';
import { apiScopesFor, FIRST_PARTY, validateFirstPartyMark } from './first_party.ts';
import { OPERATOR_ONLY_FIELDS } from './operator_fields.ts';
import { subjectsOfTokens, subjectTypeOf } from './subjects.ts';
import { mayIntrospect, mayRevoke, RESOURCE_SERVER_FIELD, validateResourceServers } from './token_access_policy.ts';
import { metadataOf } from './client_metadata.ts';

export interface OidcPages {
  error(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }): Promise<void> | void;
  logout(ctx: KoaContextWithOIDC, form: string): Promise<void> | void;
  loggedOut(ctx: KoaContextWithOIDC): Promise<void> | void;
}

/** Claims a capability adds to the access tokens of the grants it created. */
export type TokenClaimSource = (grantId: string) => Promise<Record<string, unknown> | undefined>;

export interface OidcSetup {
  config: Pick<PlazaConfig, 'issuer' | 'ttl' | 'allowInsecureCallbacks' | 'dpopRequireNonce'>;
  dpopNonceSecret: Buffer;
  tokenClaimSources: TokenClaimSource[];
  adapter: Configuration['adapter'];
  keys: JWK[];
  cookieKeys: string[];
  accounts: Accounts;
  pages: OidcPages;
  /** oidc-provider's `features.registration.policies`: what registrations through its endpoints must obey. */
  registrationPolicies: Record<string, (ctx: KoaContextWithOIDC, properties: Record<string, unknown>) => Promise<void>>;
  newClientId: () => string;
  /** Client metadata a capability defines, by field: each check throws with the reason a value is refused. */
  clientMetadata: Record<string, (value: unknown) => void>;
  /** The `sub` a pairwise client knows an account by. */
  pairwiseSubject: (metadata: Record<string, unknown>, accountId: string) => string;
  /** The claims of an account for the client asking (the union id of an owned client's users among them). */
  accountClaims: (account: Account, clientId: string | undefined) => Promise<Record<string, unknown> & { sub: string }>;
}

export function resourceIndicators(issuer: string) {
  return { api: `${issuer}/api`, admin: `${issuer}/admin/api` };
}

export function apiResourceServer(config: Pick<PlazaConfig, 'issuer' | 'ttl'>): ResourceServer {
  return {
    scope: API_SCOPES.join(' '),
    audience: resourceIndicators(config.issuer).api,
    accessTokenFormat: 'jwt',
    accessTokenTTL: config.ttl.accessToken,
    jwt: { sign: { alg: 'ES256' } },
  };
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;
const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

/**
 * `callback_uri`: https, or http on loopback when insecure callbacks are allowed; `webhook_secret`: whsec_ + base64;
 * `plaza_description`: what the app is, in its developer's words;
 * `plaza_hosts`: host ids; `plaza_host_app_ids`: the client's app id at each `jwt` host, which host tokens must name.
 */
function validateCallbackMetadata(key: string, value: unknown, allowInsecure: boolean): void {
  if (value === undefined) return;
  if (key === 'callback_uri') {
    const url = typeof value === 'string' ? URL.parse(value) : null;
    const insecureOk = allowInsecure && url?.protocol === 'http:' && LOOPBACK.test(url.hostname);
    if (!url || url.hash || url.username || url.password || (url.protocol !== 'https:' && !insecureOk)) {
      throw new errors.InvalidClientMetadata('callback_uri must be an https URL (http on loopback only when ALLOW_INSECURE_CALLBACKS=1)');
    }
  }
  if (key === 'plaza_description' && (typeof value !== 'string' || value.length > 1000)) {
    throw new errors.InvalidClientMetadata('plaza_description must be a string of at most 1000 characters');
  }
  if (key === 'plaza_hosts' && (!Array.isArray(value) || value.some((h) => typeof h !== 'string'))) {
    throw new errors.InvalidClientMetadata('plaza_hosts must be a list of host ids');
  }
  if (key === 'plaza_host_app_ids') {
    const appIds = typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.values(value) : [undefined];
    if (appIds.some((id) => typeof id !== 'string' || !id || id.length > 256)) {
      throw new errors.InvalidClientMetadata('plaza_host_app_ids must map host ids to this client\'s app id at that host (1 to 256 characters)');
    }
  }
  if (key === 'webhook_secret' && (typeof value !== 'string' || !WEBHOOK_SECRET.test(value))) {
    throw new errors.InvalidClientMetadata('webhook_secret must be "whsec_" followed by 24 to 64 base64-encoded bytes');
  }
}

function validatePluggedField(check: (value: unknown) => void, value: unknown): void {
  if (value === undefined) return;
  try {
    check(value);
  } catch (err) {
    throw new errors.InvalidClientMetadata((err as Error).message);
  }
}

/** The request's `scope` parameter, as a list. */
function scopeParam(ctx: KoaContextWithOIDC): string[] {
  const scope = ctx.oidc.params?.scope;
  return typeof scope === 'string' ? scope.split(' ') : [];
}

export function buildConfiguration(setup: OidcSetup): Configuration {
  const { config, accounts, pages } = setup;
  const resources = resourceIndicators(config.issuer);
  const secureCookies = config.issuer.startsWith('https:');
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: secureCookies, signed: true };

  const apiServer = apiResourceServer(config);
  const adminServer: ResourceServer = { ...apiServer, scope: ADMIN_SCOPE, audience: resources.admin };

  return {
    adapter: setup.adapter,
    extraClientMetadata: {
      properties: [
        'callback_uri', 'webhook_secret', 'plaza_description', 'plaza_hosts', 'plaza_host_app_ids', RESOURCE_SERVER_FIELD, ...CLIENT_FLAGS, FIRST_PARTY,
        ...Object.keys(setup.clientMetadata),
      ],
      validator(ctx, key, value, metadata) {
        if (key === FIRST_PARTY) {
          // Every stored or registered client's subject type follows from what it is, whatever it asked for.
          metadata.subject_type = subjectTypeOf(metadata);
          return validateFirstPartyMark(ctx, value);
        }
        const check = setup.clientMetadata[key];
        if (check) return validatePluggedField(check, value);
        // oidc-provider's own registration endpoints are the only callers that pass a request: developers.
        if (ctx && value !== undefined && OPERATOR_ONLY_FIELDS.some((f) => f === key)) throw new errors.InvalidClientMetadata(`${key} is set by the operator only`);
        const flag = CLIENT_FLAGS.find((f) => f === key);
        if (flag) return validateClientFlag(flag, value, metadata);
        if (key === RESOURCE_SERVER_FIELD) return validateResourceServers(value, [resources.api]);
        validateCallbackMetadata(key, value, config.allowInsecureCallbacks);
      },
    },
    extraParams: {
      // dpop_jkt names the terminal's key on the front channel; a terminal-bound client may not leave it out.
      dpop_jkt(_ctx, value, client) {
        if (!value && isTerminalBound(metadataOf(client))) {
          throw new errors.InvalidRequest('dpop_jkt is required: this client\'s tokens are bound to the key of the terminal that asks');
        }
      },
    },
    // The grant id lets the API check that the grant was not revoked, even for self-contained JWTs.
    async extraTokenClaims(_ctx, token) {
      const grantId = (token as { grantId?: string }).grantId;
      if (!grantId) return undefined;
      const claims: Record<string, unknown> = { grant_id: grantId };
      for (const source of setup.tokenClaimSources) Object.assign(claims, await source(grantId));
      return claims;
    },
    formats: {
      customizers: {
        // oidc-provider writes `authorization_details` only from its own RAR feature; Plaza's grants carry theirs in `extra`.
        jwt(_ctx, token, jwt) {
          const details = (token as { extra?: { authorization_details?: unknown } }).extra?.authorization_details;
          if (details) jwt.payload.authorization_details = details;
          const sub = subjectsOfTokens.get(token);
          if (sub) jwt.payload.sub = sub;
        },
      },
    },
    jwks: { keys: setup.keys as NonNullable<Configuration['jwks']>['keys'] },
    cookies: {
      keys: setup.cookieKeys,
      names: { session: 'plaza.session', interaction: 'plaza.interaction', resume: 'plaza.resume' },
      long: cookie,
      short: cookie,
    },
    claims: SCOPE_CLAIMS,
    subjectTypes: ['public', 'pairwise'],
    pairwiseIdentifier: async (_ctx, accountId, client) => setup.pairwiseSubject(metadataOf(client), accountId),
    acrValues: [PASSWORD_ACR],
    scopes: [...OIDC_SCOPES, ...API_SCOPES, ADMIN_SCOPE],
    responseTypes: ['code'],
    pkce: { required: pkceRequired },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
    async findAccount(ctx, sub) {
      const account = await accounts.find(sub);
      if (!account) return undefined;
      return {
        accountId: account.id,
        claims: () => setup.accountClaims(account, ctx.oidc?.client?.clientId),
      };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Plaza's own pages (the H5 page) may call its endpoints; public clients from their redirect URIs' origins.
    clientBasedCORS(ctx, origin, client) {
      if (origin === new URL(config.issuer).origin) return true;
      if (origin === 'null') return false;
      if (ctx.oidc.route !== 'userinfo' && client.clientAuthMethod !== 'none') return false;
      return client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false;
    },
    features: {
      devInteractions: { enabled: false },
      // Publishes and uses the `use: enc` keys (encrypted request objects now, encrypted API calls later).
      encryption: { enabled: true },
      clientCredentials: { enabled: true },
      claimsParameter: { enabled: true },
      // A client registered with plaza_fapi gets that profile's rules (e.g. client assertions for the issuer only).
      fapi: { enabled: true, profile: (_ctx, client) => (client ? fapiProfileOf(metadataOf(client)) : undefined) },
      // A client learns about its own tokens, a resource server about its audience's; for others the answer is `active: false`.
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => mayIntrospect(client, token) },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => mayRevoke(client, token) },
      userinfo: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      // RFC 7591 and 7592, for developers holding an initial access token; registration access tokens rotate on use.
      registration: {
        enabled: true,
        initialAccessToken: true,
        policies: setup.registrationPolicies as never,
        idFactory: setup.newClientId,
        issueRegistrationAccessToken: true,
      },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
      dPoP: { enabled: true, nonceSecret: setup.dpopNonceSecret, requireNonce: () => config.dpopRequireNonce },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => pages.logout(ctx, form),
        postLogoutSuccessSource: (ctx) => pages.loggedOut(ctx),
      },
      resourceIndicators: {
        enabled: true,
        // Without a resource parameter, a request for API scopes means the Plaza API.
        async defaultResource(ctx, _client, oneOf) {
          if (oneOf) return oneOf;
          const scopes = scopeParam(ctx);
          if (scopes.includes(ADMIN_SCOPE)) return resources.admin;
          if (ctx.oidc.params?.grant_type === 'client_credentials' || scopes.some((s) => API_SCOPES.includes(s))) return resources.api;
          return undefined as unknown as string;
        },
        async getResourceServerInfo(ctx, indicator, client) {
          // A third-party client is never granted first-party scopes, whatever it registered or asks for.
          if (indicator === resources.api) return { ...apiServer, scope: apiScopesFor(metadataOf(client)).join(' ') };
          // Only clients registered with the admin scope, and only machine-to-machine, reach the admin API.
          if (
            indicator === resources.admin
            && ctx.oidc.params?.grant_type === 'client_credentials'
            && client.scope?.split(' ').includes(ADMIN_SCOPE)
          ) return adminServer;
          throw new errors.InvalidTarget();
        },
        // RFC 8707 §2 leaves a missing `resource` to the server's default: for API scopes (the code's or refresh token's, or
        // the refresh request's `scope`), the API they were granted for; only OIDC scopes get a userinfo token.
        async useGrantedResource(ctx, model) {
          const scopes = ctx.oidc.params?.scope ? scopeParam(ctx) : [...model.scopes];
          return scopes.some((s) => API_SCOPES.includes(s));
        },
      },
    },
    async issueRefreshToken(_ctx, client, code) {
      if (!client.grantTypeAllowed('refresh_token')) return false;
      return getsRefreshToken(code.scopes);
    },
    rotateRefreshToken(ctx) {
      const { RefreshToken: token, Client: client } = ctx.oidc.entities;
      if (!token || !client) return false;
      if (token.totalLifetime() >= 365.25 * 24 * 3600) return false;
      if (client.clientAuthMethod === ('none' satisfies ClientAuthMethod)) return true;
      return token.ttlPercentagePassed() >= 70;
    },
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? config.ttl.accessToken,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? config.ttl.accessToken,
      AuthorizationCode: config.ttl.authorizationCode,
      RefreshToken: config.ttl.refreshToken,
      IdToken: config.ttl.accessToken,
      Interaction: config.ttl.interaction,
      Session: config.ttl.session,
      Grant: config.ttl.grant,
    },
    renderError: (ctx, out) => pages.error(ctx, out),
    discovery: { service_documentation: `${config.issuer}/` },
  };
}
