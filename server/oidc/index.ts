// The OpenID Provider: oidc-provider configured on Plaza's store, with Plaza's accounts, pages and keys.
import Provider from 'oidc-provider';
import type Router from '@koa/router';
import type { PlazaConfig } from '../config/index.ts';
import type { Views } from '../http/index.ts';
import type { Store } from '../store/index.ts';
import { ACCOUNT_CLIENT_ID, accountClient, accountRoutes } from './account_pages.ts';
import { Accounts } from './accounts.ts';
import { createAdapter } from './adapter.ts';
import { Clients } from './clients.ts';
import { buildConfiguration, resourceIndicators } from './configuration.ts';
import { interactionRoutes } from './interactions.ts';
import { loadCookieKeys, loadKeys, publicJwks } from './keys.ts';
import { accessTokenVerifier, type AccessTokenVerifier } from './access_token.ts';
import { LoginThrottle } from './login_throttle.ts';

export { AccountInputError, viewAccount, type Account, type AccountView } from './accounts.ts';
export { ClientInputError, type ClientMetadata, type Registered } from './clients.ts';
export { rotateKeys } from './keys.ts';
export { bearerToken, InsufficientScopeError, InvalidTokenError, type AccessTokenClaims, type AccessTokenVerifier } from './access_token.ts';
export { resourceIndicators } from './configuration.ts';
export { API_SCOPES, ADMIN_SCOPE } from './scopes.ts';
export { Accounts, Clients };

export interface Oidc {
  provider: Provider;
  accounts: Accounts;
  clients: Clients;
  routers: Router[];
  resources: ReturnType<typeof resourceIndicators>;
  verifyAccessToken: AccessTokenVerifier;
}

export async function createOidc(deps: { config: PlazaConfig; store: Store; views: Views; report: (err: unknown) => void }): Promise<Oidc> {
  const { config, store, views } = deps;
  const accounts = new Accounts(store);
  const keys = await loadKeys(store);
  const configuration = buildConfiguration({
    config,
    accounts,
    adapter: createAdapter(store),
    keys,
    cookieKeys: await loadCookieKeys(store, config.cookieKeys),
    pages: {
      error: (ctx, out) => views.page(ctx, 'error', { title: 'Something went wrong', error: out.error, description: out.error_description ?? '' }, ctx.status),
      logout: (ctx, form) => views.page(ctx, 'logout', { title: 'Sign out', form, host: ctx.host }),
      loggedOut: (ctx) => views.page(ctx, 'logged_out', { title: 'Signed out', client: ctx.oidc.client?.clientName ?? '' }),
    },
  });
  configuration.clients = [accountClient(config.issuer)];
  const provider = new Provider(config.issuer, configuration);
  provider.on('server_error', (_ctx, err) => deps.report(err));

  const routers = [
    interactionRoutes({
      provider, accounts, views,
      throttle: new LoginThrottle(store, config.loginThrottle),
      firstPartyClients: new Set([ACCOUNT_CLIENT_ID]),
    }),
    accountRoutes({ issuer: config.issuer, provider, store, accounts, views }),
  ];
  return {
    provider, accounts, routers,
    clients: new Clients(store, provider),
    resources: resourceIndicators(config.issuer),
    verifyAccessToken: accessTokenVerifier(config.issuer, publicJwks(keys, 'sig')),
  };
}
