// Wrong client credentials at the token endpoint (`invalid_client`), counted per client and address and per address,
// never per client alone: an attacker elsewhere cannot lock a client out. The limits are the login throttle's.
import { secondsLeft, SharedCounters, type Store } from '../store/index.ts';
import { IP_FACTOR, type ThrottleConfig } from './login_throttle.ts';

export class ClientAuthThrottle {
  readonly #counters: SharedCounters;
  readonly #maxFailures: number;

  constructor(store: Store, config: ThrottleConfig & { syncMs: number }) {
    this.#counters = new SharedCounters(store, 'client_auth_failures', { windowSeconds: config.windowSeconds, syncMs: config.syncMs });
    this.#maxFailures = config.maxFailures;
  }

  #keys(clientId: string, ip: string) {
    return [
      { id: `client:${encodeURIComponent(clientId)}:${ip}`, limit: this.#maxFailures },
      { id: `ip:${ip}`, limit: this.#maxFailures * IP_FACTOR },
    ];
  }

  /** Seconds until this address may present this client's credentials again, or 0; asked before they are checked. */
  async wait(clientId: string, ip: string): Promise<number> {
    let wait = 0;
    for (const key of this.#keys(clientId, ip)) {
      const count = await this.#counters.count(key.id);
      if (count.count >= key.limit) wait = Math.max(wait, secondsLeft(count));
    }
    return wait;
  }

  async failed(clientId: string, ip: string): Promise<void> {
    for (const key of this.#keys(clientId, ip)) await this.#counters.add(key.id);
  }
}
