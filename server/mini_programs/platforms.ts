// Host platforms (super-apps) whose mini-program logins Plaza converts. The app secret is sealed at rest.
import { checkUrl, InputError, OutboundRefused } from '../http/index.ts';
import type { Doc, SecretBox, Store } from '../store/index.ts';

export type HostKind = 'code2session' | 'jwt';

export interface HostPlatform extends Doc {
  kind: HostKind;
  /** Hosts of one platform share `unionid`s: the same unionid from any of them is the same person. */
  platform: string;
  timeoutMs: number;
  url?: string;
  appId?: string;
  appSecretSealed?: string;
  issuer?: string;
  jwksUri?: string;
  audience?: string;
  algorithms?: string[];
  createdAt: number;
}

export interface HostView {
  id: string;
  kind: HostKind;
  platform: string;
  timeout_ms: number;
  url?: string;
  app_id?: string;
  issuer?: string;
  jwks_uri?: string;
  audience?: string;
  algorithms?: string[];
}

export const HOST_JWT_ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
export const HOST_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function viewHost(h: HostPlatform): HostView {
  return {
    id: h.id, kind: h.kind, platform: h.platform, timeout_ms: h.timeoutMs, url: h.url, app_id: h.appId,
    issuer: h.issuer, jwks_uri: h.jwksUri, audience: h.audience, algorithms: h.algorithms,
  };
}

function text(input: Record<string, unknown>, name: string, max = 2048): string {
  const value = input[name];
  if (typeof value !== 'string' || !value.trim() || value.length > max) throw new InputError(`${name} is required (a string of at most ${max} characters)`);
  return value.trim();
}

export class HostPlatforms {
  readonly #docs;
  readonly #box: SecretBox;
  readonly #allowInsecure: boolean;

  constructor(store: Store, box: SecretBox, options: { allowInsecure: boolean }) {
    this.#docs = store.collection<HostPlatform>({ name: 'hosts', indexes: [{ field: 'issuer' }] });
    this.#box = box;
    this.#allowInsecure = options.allowInsecure;
  }

  /** The outbound guard's checks that need no DNS now, for a clear answer; every call to the host checks again. */
  #endpoint(input: Record<string, unknown>, name: string): string {
    const raw = text(input, name);
    try {
      const url = checkUrl(raw, { allowLoopback: this.#allowInsecure });
      if (url.hash) throw new OutboundRefused('a fragment is not allowed');
      return url.href;
    } catch (err) {
      if (!(err instanceof OutboundRefused)) throw err;
      throw new InputError(`${name} must be an https URL of a public host (http on loopback only when ALLOW_INSECURE_CALLBACKS=1): ${err.message}`);
    }
  }

  /** Registers a host, or replaces one with the same id (seeding is idempotent). */
  async upsert(input: Record<string, unknown>): Promise<HostView> {
    if (typeof input !== 'object' || input === null) throw new InputError('a host is a JSON object');
    const id = input.id;
    if (typeof id !== 'string' || !HOST_ID.test(id)) throw new InputError('id must be 1-64 lowercase letters, digits, "_" or "-"');
    const timeout = input.timeout_ms ?? 3000;
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 100 || timeout > 10_000) throw new InputError('timeout_ms must be a whole number from 100 to 10000');
    const platform = input.platform === undefined ? id : text(input, 'platform', 64);
    const base = { id, platform, timeoutMs: timeout, createdAt: Date.now() };
    let host: HostPlatform;
    if (input.kind === 'code2session') {
      host = { ...base, kind: 'code2session', url: this.#endpoint(input, 'url'), appId: text(input, 'app_id', 128), appSecretSealed: this.#box.seal(text(input, 'app_secret', 256)) };
    } else if (input.kind === 'jwt') {
      const algorithms = input.algorithms ?? ['RS256', 'ES256'];
      if (!Array.isArray(algorithms) || !algorithms.length || algorithms.some((a) => !HOST_JWT_ALGS.includes(a))) {
        throw new InputError(`algorithms must be a list of: ${HOST_JWT_ALGS.join(', ')}`);
      }
      host = { ...base, kind: 'jwt', issuer: text(input, 'issuer'), jwksUri: this.#endpoint(input, 'jwks_uri'), audience: text(input, 'audience'), algorithms };
      const [other] = await this.#docs.find({ issuer: host.issuer }, { limit: 2 });
      if (other && other.id !== id) throw new InputError(`host ${other.id} already has issuer ${host.issuer}`);
    } else {
      throw new InputError('kind must be "code2session" or "jwt"');
    }
    await this.#docs.put(host);
    return viewHost(host);
  }

  async get(id: string): Promise<HostPlatform | undefined> {
    return this.#docs.get(id);
  }

  async byIssuer(issuer: string): Promise<HostPlatform | undefined> {
    const [host] = await this.#docs.find({ issuer, kind: 'jwt' }, { limit: 1 });
    return host;
  }

  async list(): Promise<HostView[]> {
    return (await this.#docs.find({}, { orderBy: { field: 'id' } })).map(viewHost);
  }

  appSecret(host: HostPlatform): string {
    return this.#box.unseal(host.appSecretSealed!);
  }

  /** Seals every app secret again under the newest secret key; returns how many hosts it rewrote. */
  async resealSecrets(): Promise<number> {
    let count = 0;
    for (const host of await this.#docs.find({ kind: 'code2session' })) {
      // Only if the secret is still the one read: a host registered meanwhile was sealed under the newest key.
      const resealed = await this.#docs.update(host.id, { appSecretSealed: this.#box.reseal(host.appSecretSealed!) }, { appSecretSealed: host.appSecretSealed! });
      if (resealed) count += 1;
    }
    return count;
  }
}
