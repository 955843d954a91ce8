// Host platforms (super-apps) whose mini-program logins Plaza converts. The app secret is sealed at rest.
import { checkUrl, InputError, OutboundRefused, validator } from '../http/index.ts';
import type { CollectionSpec, Doc, SecretBox, Store } from '../store/index.ts';

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

const DEFAULT_TIMEOUT_MS = 3000;
const text = (maxLength = 2048) => ({ type: 'string', minLength: 1, maxLength, pattern: '\\S', description: 'More than white space' });
const endpoint = { ...text(), format: 'uri' };

/** What registers a host: the admin API's schema, and what `upsert` checks; each kind names what it needs. */
export const HOST_INPUT = {
  type: 'object', required: ['id', 'kind'],
  properties: {
    id: { type: 'string', pattern: HOST_ID.source, description: '1-64 lowercase letters, digits, "_" or "-"' },
    kind: { enum: ['code2session', 'jwt'] },
    platform: text(64),
    timeout_ms: { type: 'integer', minimum: 100, maximum: 10_000, default: DEFAULT_TIMEOUT_MS },
    url: endpoint, app_id: text(128), app_secret: text(256),
    issuer: text(), jwks_uri: endpoint, audience: text(), algorithms: { type: 'array', minItems: 1, items: { enum: HOST_JWT_ALGS } },
  },
  allOf: [
    { if: { required: ['kind'], properties: { kind: { const: 'code2session' } } }, then: { required: ['url', 'app_id', 'app_secret'] } },
    { if: { required: ['kind'], properties: { kind: { const: 'jwt' } } }, then: { required: ['issuer', 'jwks_uri', 'audience'] } },
  ],
};
type HostInput = { id: string; kind: HostKind; platform?: string; timeout_ms?: number; algorithms?: string[] } & Record<'url' | 'app_id' | 'app_secret' | 'issuer' | 'jwks_uri' | 'audience', string>;
const checkHostInput = validator<HostInput>(HOST_INPUT);

export const HOSTS: CollectionSpec = { name: 'hosts', indexes: [{ field: 'issuer' }] };

export class HostPlatforms {
  readonly #docs;
  readonly #box: SecretBox;
  readonly #allowInsecure: boolean;

  constructor(store: Store, box: SecretBox, options: { allowInsecure: boolean }) {
    this.#docs = store.collection<HostPlatform>(HOSTS);
    this.#box = box;
    this.#allowInsecure = options.allowInsecure;
  }

  /** The outbound guard's checks that need no DNS now, for a clear answer; every call to the host checks again. */
  #endpoint(raw: string, name: string): string {
    try {
      const url = checkUrl(raw.trim(), { allowLoopback: this.#allowInsecure });
      if (url.hash) throw new OutboundRefused('a fragment is not allowed');
      return url.href;
    } catch (err) {
      if (!(err instanceof OutboundRefused)) throw err;
      throw new InputError(`${name} must be an https URL of a public host (http on loopback only when ALLOW_INSECURE_CALLBACKS=1): ${err.message}`);
    }
  }

  /** Registers a host, or replaces one with the same id (seeding is idempotent). */
  async upsert(given: unknown): Promise<HostView> {
    const input = checkHostInput(given);
    const { id } = input;
    const base = { id, platform: input.platform?.trim() ?? id, timeoutMs: input.timeout_ms ?? DEFAULT_TIMEOUT_MS, createdAt: Date.now() };
    let host: HostPlatform;
    if (input.kind === 'code2session') {
      host = { ...base, kind: 'code2session', url: this.#endpoint(input.url, 'url'), appId: input.app_id.trim(), appSecretSealed: this.#box.seal(input.app_secret.trim()) };
    } else {
      const algorithms = input.algorithms ?? ['RS256', 'ES256'];
      host = { ...base, kind: 'jwt', issuer: input.issuer.trim(), jwksUri: this.#endpoint(input.jwks_uri, 'jwks_uri'), audience: input.audience.trim(), algorithms };
      const [other] = await this.#docs.find({ issuer: host.issuer }, { limit: 2 });
      if (other && other.id !== id) throw new InputError(`host ${other.id} already has issuer ${host.issuer}`);
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
