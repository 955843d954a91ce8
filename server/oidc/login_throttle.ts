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

  /** Seconds until another attempt is allowed, or 0. */
  async retryAfter(username: string, ip: string): Promise<number> {
    let wait = 0;
    for (const key of this.#keys(username, ip)) {
      const doc = await this.#docs.get(key.id);
      if (doc && doc.count >= key.limit) wait = Math.max(wait, Math.ceil(((doc.expiresAt ?? 0) - Date.now()) / 1000));
    }
    return wait;
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    for (const key of this.#keys(username, ip)) await this.#increment(key.id);
  }

  async recordSuccess(username: string): Promise<void> {
    await this.#docs.delete(this.#keys(username, '')[0].id);
  }

  async #increment(id: string): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const doc = await this.#docs.get(id);
      if (!doc) {
        if (await this.#docs.insert({ id, count: 1, expiresAt: Date.now() + this.#config.windowSeconds * 1000 })) return;
      } else if (await this.#docs.update(id, { count: doc.count + 1 }, { count: doc.count })) {
        return;
      }
    }
  }
}
