// The developer console: any Plaza user registers and runs their own apps at /developers, and creates the initial
// access tokens for registering them from code (RFC 7591, on the OP's registration endpoint).
import type { PlazaConfig } from '../config/index.ts';
import type { Views } from '../http/index.ts';
import type { SecretBox, Store } from '../store/index.ts';
import type { Capability, Oidc } from '../oidc/index.ts';
import type { Deliveries } from '../async/index.ts';
import { consoleRoutes } from './console_pages.ts';
import { DeveloperApps } from './developer_apps.ts';
import { SecretReveals } from './secret_reveals.ts';

export { APP_KINDS } from './app_kinds.ts';

export interface DevelopersDeps {
  config: Pick<PlazaConfig, 'issuer'>;
  store: Store;
  box: SecretBox;
  oidc: Pick<Oidc, 'clients' | 'revokeClientGrants' | 'session' | 'initialAccessTokens'>;
  deliveries: Pick<Deliveries, 'forClient' | 'get' | 'redeliver' | 'enqueue'>;
  views: Views;
}

export function createDevelopers(deps: DevelopersDeps): Capability {
  const apps = new DeveloperApps({ oidc: deps.oidc, deliveries: deps.deliveries });
  return { pages: [consoleRoutes({ issuer: deps.config.issuer, apps, reveals: new SecretReveals(deps.store, deps.box), oidc: deps.oidc, views: deps.views })] };
}
