// Host identity tokens are single-use: each `jti` is recorded until the token expires, with the store's atomic
// insert, so a captured token cannot be exchanged again, not even by two Plaza processes at once.
import { sha256url, type Doc, type Store } from '../store/index.ts';
import { HostLoginError, type HostTokenUse } from './host_login.ts';
import type { HostPlatform } from './platforms.ts';

export class UsedHostTokens {
  readonly #docs;

  constructor(store: Store) {
    this.#docs = store.collection<Doc>({ name: 'host_token_jtis' });
  }

  /** Records the token's use; the second use of one token, by anyone, is refused. */
  async consume(host: HostPlatform, use: HostTokenUse): Promise<void> {
    const id = sha256url(`${host.id}:${use.jti}`);
    if (!await this.#docs.insert({ id, expiresAt: use.usableUntil })) {
      throw new HostLoginError('rejected', `the identity token from host ${host.id} was already used`);
    }
  }
}
