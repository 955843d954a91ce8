// The client registry: RFC 7591 metadata, validated by oidc-provider itself, kept in the Client model's collection.
import { randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { Store } from '../store/index.ts';
import { modelCollection } from './adapter.ts';

export type ClientMetadata = Record<string, unknown> & { client_id: string };

export class ClientInputError extends Error {
  override name = 'ClientInputError';
  readonly status = 400;
  readonly expose = true;
  readonly error = 'invalid_client_metadata';
}

export interface Registered {
  metadata: ClientMetadata;
  /** Present only when Plaza generated it: shown once, never listed again. */
  generatedSecret?: string;
  created: boolean;
}

const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

function withoutSecrets(metadata: Record<string, unknown>): ClientMetadata {
  const { client_secret: _secret, ...rest } = metadata;
  return rest as ClientMetadata;
}

export class Clients {
  readonly #docs;
  readonly #provider: Provider;

  constructor(store: Store, provider: Provider) {
    this.#docs = modelCollection(store, 'Client');
    this.#provider = provider;
  }

  /** Registers a client, or replaces an existing one with the same client_id (seeding is idempotent). */
  async register(input: Record<string, unknown>): Promise<Registered> {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ClientInputError('client metadata must be a JSON object');
    const clientId = input.client_id ?? `app_${randomBytes(9).toString('base64url')}`;
    if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) throw new ClientInputError('client_id must be 1-128 URL-safe characters');
    const metadata: ClientMetadata = { ...input, client_id: clientId };
    const existing = await this.#docs.get(clientId);
    let generatedSecret: string | undefined;
    if (metadata.token_endpoint_auth_method === 'none') {
      delete metadata.client_secret;
    } else if (metadata.client_secret === undefined) {
      const kept = existing?.payload.client_secret;
      generatedSecret = typeof kept === 'string' ? undefined : randomBytes(32).toString('base64url');
      metadata.client_secret = kept ?? generatedSecret;
    }
    try {
      await this.#provider.Client.validate(metadata as never);
    } catch (err) {
      const e = err as { error_description?: string; message: string };
      throw new ClientInputError(e.error_description ?? e.message);
    }
    await this.#docs.put({ id: clientId, payload: metadata as never });
    return { metadata: withoutSecrets(metadata), generatedSecret, created: !existing };
  }

  async get(clientId: string): Promise<ClientMetadata | undefined> {
    const doc = await this.#docs.get(clientId);
    return doc ? withoutSecrets(doc.payload) : undefined;
  }

  async list(): Promise<ClientMetadata[]> {
    const docs = await this.#docs.find({}, { orderBy: { field: 'id' } });
    return docs.map((d) => withoutSecrets(d.payload));
  }

  async remove(clientId: string): Promise<boolean> {
    return this.#docs.delete(clientId);
  }
}
