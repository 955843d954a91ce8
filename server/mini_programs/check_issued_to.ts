// A host token is bound to the mini-program it was issued for: its `aud` or `azp` must name that client's
// registration at the host (`plaza_host_app_ids`), so one mini-program's token is useless to another.
import { exchangeError } from '../oidc/index.ts';
import { HostLoginError, type HostTokenUse } from './host_login.ts';
import type { HostPlatform } from './platforms.ts';

/** The client's app id at a `jwt` host; a client without one is not registered for that host's tokens. */
export function hostAppIdOf(client: Record<string, unknown>, host: HostPlatform): string {
  const appId = (client.plaza_host_app_ids as Record<string, unknown> | undefined)?.[host.id];
  if (typeof appId !== 'string') throw exchangeError('unauthorized_client', `this client has no app id at host ${host.id} (plaza_host_app_ids)`);
  return appId;
}

export function checkIssuedTo(host: HostPlatform, use: HostTokenUse, appId: string): void {
  if (use.azp !== appId && !use.audiences.includes(appId)) {
    throw new HostLoginError('rejected', `the identity token from host ${host.id} was issued to another mini-program`);
  }
}
