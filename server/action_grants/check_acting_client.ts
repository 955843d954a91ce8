// Who may add an app to a group, or remove one, for a user: the user on Plaza's own pages, or a first-party client;
// never a third-party app, and never the app itself, so that an app acts as a user only after the user chose it.
import { isFirstParty, type Oidc } from '../oidc/index.ts';
import { ForbiddenError } from '../social/index.ts';

/** `via` is the client the user acts through (null on Plaza's pages); `clientId` the app being added or removed. */
export async function checkActingClient(oidc: Pick<Oidc, 'clients'>, via: string | null, clientId: unknown): Promise<void> {
  if (via === null) return;
  if (via === clientId) throw new ForbiddenError('an app cannot add or remove itself: the user does that on Plaza');
  if (!isFirstParty(await oidc.clients.get(via))) {
    throw new ForbiddenError('only Plaza and its first-party apps may add or remove apps in a group');
  }
}
