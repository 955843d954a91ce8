// RFC 8693 exchange of a host's login code or identity token for Plaza tokens. Plaza's API only ever sees
// Plaza tokens: the host's token is checked here and goes no further.
import { decodeJwt } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { API_SCOPES, apiScopesFor, exchangeError, getsRefreshToken, metadataOf, OIDC_SCOPES, type ExchangeRequest, type Oidc } from '../oidc/index.ts';
import type { AuditLog } from '../social/index.ts';
import { hostAppIdOf } from './check_issued_to.ts';
import { HostLoginError, type HostIdentity } from './host_login.ts';
import type { ExternalIdentities } from './identities.ts';
import type { HostPlatform, HostPlatforms } from './platforms.ts';

export const HOST_LOGIN_CODE = 'urn:plaza:token-type:host-login-code';

export interface HostExchangeDeps {
  oidc: Pick<Oidc, 'apiTokens'>;
  platforms: HostPlatforms;
  identities: ExternalIdentities;
  audit: AuditLog;
  identify(host: HostPlatform, token: string, appId?: string): Promise<HostIdentity>;
}

/** A client may use a host only if its metadata lists it in `plaza_hosts`; for a `jwt` host, its app id there. */
function checkClientMayUse(ctx: KoaContextWithOIDC, host: HostPlatform): string | undefined {
  const client = ctx.oidc.client as unknown as Record<string, unknown>;
  const allowed = client.plaza_hosts;
  if (!Array.isArray(allowed) || !allowed.includes(host.id)) {
    throw exchangeError('unauthorized_client', `this client is not registered for host ${host.id}`);
  }
  return host.kind === 'jwt' ? hostAppIdOf(client, host) : undefined;
}

/**
 * The OpenID scopes a host login grants: it asks the user nothing, so none that releases claims beyond the app's own
 * `sub` (and union id); `profile` or `email` asked for are not granted (OIDC Core 5.4: scope claims are requests).
 */
const HOST_LOGIN_OIDC_SCOPES = new Set(['openid', 'offline_access']);

/** The scopes asked for, each known and allowed for the client, split into the API's and the OpenID ones granted. */
function allowedScopes(ctx: KoaContextWithOIDC): { api: string; oidc: string } {
  const requested = [...new Set(String(ctx.oidc.params?.scope ?? '').split(' ').filter(Boolean))];
  const client = ctx.oidc.client!;
  const allowList = client.scope?.split(' ');
  const apiScopes = apiScopesFor(metadataOf(client));
  for (const scope of requested) {
    if (!OIDC_SCOPES.includes(scope) && !API_SCOPES.includes(scope)) throw exchangeError('invalid_scope', `unknown scope ${scope}`);
    if ((allowList && !allowList.includes(scope)) || (API_SCOPES.includes(scope) && !apiScopes.includes(scope))) {
      throw exchangeError('invalid_scope', `scope ${scope} is not allowed for this client`);
    }
  }
  return { api: requested.filter((s) => API_SCOPES.includes(s)).join(' '), oidc: requested.filter((s) => HOST_LOGIN_OIDC_SCOPES.has(s)).join(' ') };
}

async function hostOfJwt(deps: HostExchangeDeps, ctx: KoaContextWithOIDC, token: string): Promise<HostPlatform> {
  let iss: unknown;
  try {
    ({ iss } = decodeJwt(token));
  } catch {
    throw exchangeError('invalid_grant', 'subject_token is not a JWT');
  }
  const host = typeof iss === 'string' ? await deps.platforms.byIssuer(iss) : undefined;
  if (!host) throw exchangeError('invalid_request', 'no registered host issues this token');
  const named = ctx.oidc.params?.subject_issuer;
  if (named !== undefined && named !== host.id) throw exchangeError('invalid_request', 'subject_issuer does not match the token issuer');
  return host;
}

async function hostOfCode(deps: HostExchangeDeps, ctx: KoaContextWithOIDC): Promise<HostPlatform> {
  const id = ctx.oidc.params?.subject_issuer;
  if (typeof id !== 'string' || !id) throw exchangeError('invalid_request', 'subject_issuer (the host id) is required with a host login code');
  const host = await deps.platforms.get(id);
  if (host?.kind !== 'code2session') throw exchangeError('invalid_request', `no code2session host ${id}`);
  return host;
}

export function hostExchangeHandler(deps: HostExchangeDeps, kind: 'code' | 'jwt') {
  return async (ctx: KoaContextWithOIDC, { subjectToken, proof }: ExchangeRequest): Promise<void> => {
    const host = kind === 'code' ? await hostOfCode(deps, ctx) : await hostOfJwt(deps, ctx, subjectToken);
    const appId = checkClientMayUse(ctx, host);
    const scopes = allowedScopes(ctx);
    let identity: HostIdentity;
    try {
      identity = await deps.identify(host, subjectToken, appId);
    } catch (err) {
      if (!(err instanceof HostLoginError)) throw err;
      throw exchangeError(err.code === 'unavailable' ? 'temporarily_unavailable' : 'invalid_grant', err.message);
    }
    const { sub, created } = await deps.identities.resolve(host, identity);
    const client = ctx.oidc.client!;
    const oidcScopes = new Set(scopes.oidc.split(' '));
    const openid = oidcScopes.has('openid');
    const grantId = await deps.oidc.apiTokens.createGrant(ctx, sub, scopes.api, scopes.oidc);
    ctx.body = await deps.oidc.apiTokens.issue(ctx, {
      grantId, accountId: sub, scope: scopes.api, dpopJkt: proof?.jkt,
      refresh: getsRefreshToken(oidcScopes),
      idTokenScope: openid ? scopes.oidc.replace(/\s*offline_access/, '') : undefined,
    });
    await deps.audit.record({ sub, via: client.clientId, action: created ? 'host.account_created' : 'host.signed_in', detail: host.id });
  };
}
