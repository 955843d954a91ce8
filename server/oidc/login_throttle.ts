// Counts failed logins per account and per client IP in the store, so every process sees the same counts.
import { secondsLeft, WindowCounters, type Store } from '../store/index.ts';

export interface ThrottleConfig {
  maxFailures: number;
  windowSeconds: number;
}

/** An address may fail more often than one account: several people can share it. */
export const IP_FACTOR = 4;

export class LoginThrottle {
  readonly #counters: WindowCounters;
  readonly #config: ThrottleConfig;

  constructor(store: Store, config: ThrottleConfig) {
    this.#counters = new WindowCounters(store, 'login_failures', config.windowSeconds);
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
      const count = await this.#counters.add(key.id, 1);
      if (count && count.count > key.limit) wait = Math.max(wait, secondsLeft(count));
    }
    return wait;
  }

  /** A right password: the account starts afresh, and the address is not charged for it. */
  async succeeded(username: string, ip: string): Promise<void> {
    const [account, address] = this.#keys(username, ip);
    await this.#counters.reset(account.id);
    await this.#counters.add(address.id, -1);
  }
}
