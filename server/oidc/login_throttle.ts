// Counts failed logins per account and per client IP in the store, so every process sees the same counts.
import type { Doc, Store } from '../store/index.ts';

interface FailureCount extends Doc {
  count: number;
}

export interface ThrottleConfig {
  maxFailures: number;
  windowSeconds: number;
}

/** An address may fail more often than one account: several people can share it. */
const IP_FACTOR = 4;

export class LoginThrottle {
  readonly #docs;
  readonly #config: ThrottleConfig;

  constructor(store: Store, config: ThrottleConfig) {
    this.#docs = store.collection<FailureCount>({ name: 'login_failures' });
    this.#config = config;
  }

  #keys(username: string, ip: string) {
    return [
      { id: `account:${username.trim().toLowerCase()}`, limit: this.#config.maxFailures },
      { id: `ip:${ip}`, limit: this.#config.maxFailures * IP_FACTOR },
    ];
  }

  /**
   * Counts an attempt before the password is checked, so that parallel attempts cannot all slip under the
   * limit; returns the seconds to wait when over it, or 0.
   */
  async attempt(username: string, ip: string): Promise<number> {
    let wait = 0;
    for (const key of this.#keys(username, ip)) {
      const doc = await this.#add(key.id, 1);
      if (doc && doc.count > key.limit) wait = Math.max(wait, Math.ceil(((doc.expiresAt ?? 0) - Date.now()) / 1000));
    }
    return wait;
  }

  /** A right password: the account starts afresh, and the address is not charged for it. */
  async succeeded(username: string, ip: string): Promise<void> {
    const [account, address] = this.#keys(username, ip);
    await this.#docs.delete(account.id);
    await this.#add(address.id, -1);
  }

  async #add(id: string, delta: number): Promise<FailureCount | undefined> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const doc = await this.#docs.get(id);
      if (!doc) {
        if (delta < 0) return undefined;
        const fresh = { id, count: delta, expiresAt: Date.now() + this.#config.windowSeconds * 1000 };
        if (await this.#docs.insert(fresh)) return fresh;
      } else {
        const updated = await this.#docs.update(id, { count: Math.max(0, doc.count + delta) }, { count: doc.count });
        if (updated) return updated;
      }
    }
    return undefined;
  }
}
