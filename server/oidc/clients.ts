// The client registry: RFC 7591 metadata, validated by oidc-provider itself, kept in the Client model's collection
// with its secrets sealed.
import { randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { JWK } from 'jose';
import { InputError, validator } from '../http/index.ts';
import type { SecretBox, Store } from '../store/index.ts';
import { modelCollection } from './adapter.ts';
import { FAPI_PROFILES } from './client_flags.ts';
import { firstPartyMarkRefusal, type Registrar } from './first_party.ts';
import { clientSecretOf, resealPatch, sealClientSecrets, sealedFieldIn, sealedValues, withoutSecrets } from './client_secrets.ts';

export type ClientMetadata = Record<string, unknown> & { client_id: string };

const badMetadata = (message: string) => new InputError(message, 'invalid_client_metadata');

export const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

/** What registers a client: the admin API's schema, checked by `register` before oidc-provider checks the rest. */
export const CLIENT_INPUT = {
  type: 'object',
  description: 'RFC 7591 client metadata (`client_id` and secrets are generated when absent), plus Plaza\'s `callback_uri`, `webhook_secret`, `plaza_hosts`, `plaza_host_app_ids` (the client\'s app id at each `jwt` host), `plaza_terminal_bound`, `plaza_require_pkce`, `plaza_fapi` `plaza_first_party` (the operator marks Plaza\'s own apps; only they may hold `groups:apps`) and `plaza_resource_server` (the audiences whose tokens the client may introspect)',
  properties: {
    client_id: { type: 'string', pattern: CLIENT_ID.source, description: '1-128 URL-safe characters' },
    plaza_terminal_bound: { type: 'boolean' }, plaza_require_pkce: { type: 'boolean' }, plaza_fapi: { enum: [...FAPI_PROFILES] },
    plaza_resource_server: { type: 'array', items: { type: 'string', format: 'uri' }, description: 'The API resource indicators (`<issuer>/api`) whose tokens this client may introspect' },
  },
};
const checkClientInput = validator<Record<string, unknown> & { client_id?: string }>(CLIENT_INPUT, { code: 'invalid_client_metadata' });

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
  readonly #box: SecretBox;
  /** The ids of Plaza's own clients, configured in code: oidc-provider finds those first, so a stored one would be a shadow. */
  readonly #builtIn: ReadonlySet<string>;

  constructor(store: Store, provider: Provider, box: SecretBox, builtIn: ReadonlySet<string>) {
    this.#docs = modelCollection(store, 'Client');
    this.#provider = provider;
    this.#box = box;
    this.#builtIn = builtIn;
  }

  /** Registers a client, or replaces an existing one with the same client_id (seeding is idempotent). */
  async register(given: unknown, registrar: Registrar): Promise<Registered> {
    const input = checkClientInput(given);
    const refusal = firstPartyMarkRefusal(input, registrar);
    if (refusal) throw badMetadata(refusal);
    const clientId = input.client_id ?? `app_${randomBytes(9).toString('base64url')}`;
    if (this.#builtIn.has(clientId)) throw badMetadata(`client_id ${clientId} is one of Plaza's own clients; choose another`);
    const sealed = sealedFieldIn(input);
    if (sealed) throw badMetadata(`${sealed} is Plaza's own; send the secret itself`);
    const metadata: ClientMetadata = { ...input, client_id: clientId };
    const existing = (await this.#docs.get(clientId))?.payload;
    let generatedSecret: string | undefined;
    let generatedWebhookSecret: string | undefined;
    if (metadata.token_endpoint_auth_method === 'none') {
      delete metadata.client_secret;
    } else {
      const secret = secretFor(metadata.client_secret, existing && clientSecretOf(existing, 'client_secret', this.#box), () => randomBytes(32).toString('base64url'));
      metadata.client_secret = secret.value;
      generatedSecret = secret.generated;
    }
    if (metadata.callback_uri !== undefined) {
      const secret = secretFor(metadata.webhook_secret, existing && clientSecretOf(existing, 'webhook_secret', this.#box), () => `whsec_${randomBytes(32).toString('base64')}`);
      metadata.webhook_secret = secret.value;
      generatedWebhookSecret = secret.generated;
    }
    try {
      await this.#provider.Client.validate(metadata as never);
    } catch (err) {
      const e = err as { error_description?: string; message: string };
      throw badMetadata(e.error_description ?? e.message);
    }
    await this.#docs.put({ id: clientId, payload: sealClientSecrets(metadata, this.#box) as never });
    return { metadata: withoutSecrets(metadata) as ClientMetadata, generatedSecret, generatedWebhookSecret, created: !existing };
  }

  async get(clientId: string): Promise<ClientMetadata | undefined> {
    const doc = await this.#docs.get(clientId);
    return doc ? withoutSecrets(doc.payload) as ClientMetadata : undefined;
  }

  async callbackOf(clientId: string): Promise<ClientCallback | undefined> {
    const payload = (await this.#docs.get(clientId))?.payload;
    const webhookSecret = payload && clientSecretOf(payload, 'webhook_secret', this.#box);
    if (typeof payload?.callback_uri !== 'string' || webhookSecret === undefined) return undefined;
    const name = typeof payload.client_name === 'string' ? payload.client_name : clientId;
    const keys = (payload.jwks as { keys?: JWK[] } | undefined)?.keys ?? [];
    const encryptionKey = keys.find((k) => k.use === 'enc');
    return { clientId, name, callbackUri: payload.callback_uri, webhookSecret, encryptionKey };
  }

  async list(): Promise<ClientMetadata[]> {
    const docs = await this.#docs.find({}, { orderBy: { field: 'id' } });
    return docs.map((d) => withoutSecrets(d.payload) as ClientMetadata);
  }

  /** Seals every client's secrets again under the newest secret key; returns how many clients it rewrote. */
  async resealSecrets(): Promise<number> {
    let count = 0;
    for (const doc of await this.#docs.find({})) {
      // Only if the secrets are still those read: a client registered meanwhile was sealed under the newest key.
      const asRead = Object.fromEntries(Object.entries(sealedValues(doc.payload)).map(([field, value]) => [`payload.${field}`, value]));
      if (await this.#docs.update(doc.id, { payload: resealPatch(doc.payload, this.#box) as never }, asRead)) count += 1;
    }
    return count;
  }

  async remove(clientId: string): Promise<boolean> {
    return this.#docs.delete(clientId);
  }
}
