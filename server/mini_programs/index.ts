// Mini-program logins: a host super-app's login code or signed token becomes a Plaza identity and Plaza tokens.
import type { PlazaConfig } from '../config/index.ts';
import type { Views } from '../http/index.ts';
import { TOKEN_TYPES, type Capability, type Oidc } from '../oidc/index.ts';
import type { AuditLog } from '../social/index.ts';
import type { SecretBox, Store } from '../store/index.ts';
import { HOST_LOGIN_CODE, hostExchangeHandler } from './exchange.ts';
import { checkIssuedTo } from './check_issued_to.ts';
import { code2session, JwtHostVerifier } from './host_login.ts';
import { ExternalIdentities } from './identities.ts';
import { identityPages } from './identity_pages.ts';
import { HostPlatforms, type HostPlatform } from './platforms.ts';
import { UsedHostTokens } from './used_host_tokens.ts';

export { HostPlatforms, HOST_INPUT, HOSTS, type HostPlatform, type HostView } from './platforms.ts';
export { HOST_LOGIN_CODE } from './exchange.ts';

export interface MiniProgramsDeps {
  config: Pick<PlazaConfig, 'allowInsecureCallbacks' | 'hostJwksCooldownMs'>;
  store: Store;
  box: SecretBox;
  oidc: Pick<Oidc, 'accounts' | 'session' | 'apiTokens'>;
  audit: AuditLog;
  views: Views;
}

export interface MiniProgramsCapability extends Capability {
  platforms: HostPlatforms;
}

export function createMiniPrograms(deps: MiniProgramsDeps): MiniProgramsCapability {
  const platforms = new HostPlatforms(deps.store, deps.box, { allowInsecure: deps.config.allowInsecureCallbacks });
  const identities = new ExternalIdentities(deps.store, deps.oidc.accounts);
  const calls = { allowLoopback: deps.config.allowInsecureCallbacks };
  const jwtHosts = new JwtHostVerifier({ cooldownMs: deps.config.hostJwksCooldownMs, ...calls });
  const usedTokens = new UsedHostTokens(deps.store);
  // A host token is checked against the mini-program it is for (when one asks) before its single use is spent,
  // so another client's attempt does not burn it.
  const identify = async (host: HostPlatform, token: string, appId?: string) => {
    if (host.kind === 'code2session') return code2session(host, platforms.appSecret(host), token, calls);
    const identity = await jwtHosts.verify(host, token);
    if (appId !== undefined) checkIssuedTo(host, identity.use!, appId);
    await usedTokens.consume(host, identity.use!);
    return identity;
  };
  const exchange = { oidc: deps.oidc, platforms, identities, audit: deps.audit, identify };
  return {
    platforms,
    exchanges: {
      [HOST_LOGIN_CODE]: hostExchangeHandler(exchange, 'code'),
      [TOKEN_TYPES.jwt]: hostExchangeHandler(exchange, 'jwt'),
      [TOKEN_TYPES.idToken]: hostExchangeHandler(exchange, 'jwt'),
    },
    pages: [identityPages({ session: deps.oidc.session, views: deps.views, platforms, identities, audit: deps.audit, identify })],
  };
}
