// RFC 7009 for Plaza's JWT access tokens: a self-contained token cannot be deleted, so revoking one means
// remembering its `jti` until it would have expired anyway. The access token verifier refuses what is here.
import type { Doc, Store } from '../store/index.ts';

interface RevokedToken extends Doc {}

export class RevokedTokens {
  readonly #docs;

  constructor(store: Store) {
    this.#docs = store.collection<RevokedToken>({ name: 'revoked_access_tokens' });
  }

  /** `exp` in seconds since the epoch, as in the token. */
  async revoke(jti: string, exp: number): Promise<void> {
    await this.#docs.put({ id: jti, expiresAt: exp * 1000 });
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.#docs.get(jti)) !== undefined;
  }
}
