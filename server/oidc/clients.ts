// The client registry: RFC 7591 metadata, validated by oidc-provider itself, kept in the Client model's collection.
import { randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { JWK } from 'jose';
import { InputError } from '../http/index.ts';
import type { Store } from '../store/index.ts';
import { modelCollection } from './adapter.ts';

export type ClientMetadata = Record<string, unknown> & { client_id: string };

export class ClientInputError extends InputError {
  override name = 'ClientInputError';
  readonly error = 'invalid_client_metadata';
}

export interface Registered {
  metadata: ClientMetadata;
  /** Present only when Plaza generated them: shown once, never listed again. */
  generatedSecret?: string;
  generatedWebhookSecret?: string;
  created: boolean;
}

/** Where and how Plaza calls a client back. */
export interface ClientCallback {
  clientId: string;
  name: string;
  callbackUri: string;
  webhookSecret: string;
  /** The `use: enc` key of the client's registered `jwks`: callbacks are encrypted to it. */
  encryptionKey?: JWK;
}

export const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

function withoutSecrets(metadata: Record<string, unknown>): ClientMetadata {
  const { client_secret: _secret, webhook_secret: _webhookSecret, ...rest } = metadata;
  return rest as ClientMetadata;
}

/** Keeps a secret the client already has, or makes one to be shown once. */
function secretFor(given: unknown, kept: unknown, make: () => string): { value: unknown; generated?: string } {
  if (given !== undefined) return { value: given };
  if (typeof kept === 'string') return { value: kept };
  const generated = make();
  return { value: generated, generated };
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
    let generatedWebhookSecret: string | undefined;
    if (metadata.token_endpoint_auth_method === 'none') {
      delete metadata.client_secret;
    } else {
      const secret = secretFor(metadata.client_secret, existing?.payload.client_secret, () => randomBytes(32).toString('base64url'));
      metadata.client_secret = secret.value;
      generatedSecret = secret.generated;
    }
    if (metadata.callback_uri !== undefined) {
      const secret = secretFor(metadata.webhook_secret, existing?.payload.webhook_secret, () => `whsec_${randomBytes(32).toString('base64')}`);
      metadata.webhook_secret = secret.value;
      generatedWebhookSecret = secret.generated;
    }
    try {
      await this.#provider.Client.validate(metadata as never);
    } catch (err) {
      const e = err as { error_description?: string; message: string };
      throw new ClientInputError(e.error_description ?? e.message);
    }
    await this.#docs.put({ id: clientId, payload: metadata as never });
    return { metadata: withoutSecrets(metadata), generatedSecret, generatedWebhookSecret, created: !existing };
  }

  async get(clientId: string): Promise<ClientMetadata | undefined> {
    const doc = await this.#docs.get(clientId);
    return doc ? withoutSecrets(doc.payload) : undefined;
  }

  async callbackOf(clientId: string): Promise<ClientCallback | undefined> {
    const payload = (await this.#docs.get(clientId))?.payload;
    if (typeof payload?.callback_uri !== 'string' || typeof payload.webhook_secret !== 'string') return undefined;
    const name = typeof payload.client_name === 'string' ? payload.client_name : clientId;
    const keys = (payload.jwks as { keys?: JWK[] } | undefined)?.keys ?? [];
    const encryptionKey = keys.find((k) => k.use === 'enc');
    return { clientId, name, callbackUri: payload.callback_uri, webhookSecret: payload.webhook_secret, encryptionKey };
  }

  async list(): Promise<ClientMetadata[]> {
    const docs = await this.#docs.find({}, { orderBy: { field: 'id' } });
    return docs.map((d) => withoutSecrets(d.payload));
  }

  async remove(clientId: string): Promise<boolean> {
    return this.#docs.delete(clientId);
  }
}
