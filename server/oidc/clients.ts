// The client registry: RFC 7591 metadata, validated by oidc-provider itself, kept in the Client model's collection
// with its secrets sealed.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { JWK } from 'jose';
import { InputError, validator, type JsonSchema } from '../http/index.ts';
import type { SecretBox, Store } from '../store/index.ts';
import { modelCollection } from './adapter.ts';
import { FAPI_PROFILES } from './client_flags.ts';
import { operatorOnlyRefusal, type Registrar } from './operator_fields.ts';
import {
  clientSecretOf, previousSecretOf, resealPatch, rotationPatch, sealClientSecrets, sealedValues, STANDING, storedOnlyFieldIn, storedOnlyFields, withoutSecrets,
  type SecretField,
} from './client_secrets.ts';

export type ClientMetadata = Record<string, unknown> & { client_id: string };

const badMetadata = (message: string) => new InputError(message, 'invalid_client_metadata');

export const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

/** What registers a client, but the fields capabilities define (`clientInput` adds them). */
export const CLIENT_INPUT = {
  type: 'object',
  description: 'RFC 7591 client metadata (`client_id` and secrets are generated when absent), plus Plaza\'s `callback_uri`, `webhook_secret`, `plaza_hosts`, `plaza_host_app_ids` (the client\'s app id at each `jwt` host), `plaza_terminal_bound`, `plaza_require_pkce`, `plaza_fapi` `plaza_first_party` (the operator marks Plaza\'s own apps; only they may hold `groups:apps`) and `plaza_resource_server` (the audiences whose tokens the client may introspect)',
  properties: {
    client_id: { type: 'string', pattern: CLIENT_ID.source, description: '1-128 URL-safe characters' },
    plaza_terminal_bound: { type: 'boolean' }, plaza_require_pkce: { type: 'boolean' }, plaza_fapi: { enum: [...FAPI_PROFILES] },
    plaza_resource_server: { type: 'array', items: { type: 'string', format: 'uri' }, description: 'The API resource indicators (`<issuer>/api`) whose tokens this client may introspect' },
  },
};

/** A client metadata field a capability defines: its schema, and its whole check (the schema and any rule beyond it). */
export interface ClientField {
  schema: JsonSchema;
  check: (value: unknown) => void;
}

/** What registers a client: the admin API's schema, checked by `register` before oidc-provider checks the rest. */
export function clientInput(fields: Record<string, ClientField>): JsonSchema {
  const plugged = Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, field.schema]));
  return { ...CLIENT_INPUT, properties: { ...CLIENT_INPUT.properties, ...plugged } };
}

export interface Registered {
  metadata: ClientMetadata;
  /** Present only when Plaza generated them: shown once, never listed again. */
  generatedSecret?: string;
  generatedWebhookSecret?: string;
  created: boolean;
}

/** Plaza's own record of a client: who registered it, and what the operator decided about it. */
export interface ClientStanding {
  registrar: Registrar;
  /** The account id of the developer who owns it (a developer's app). */
  owner?: string;
  /** What the developer said it is (the console's kinds). */
  kind?: string;
  /** The operator checked who is behind it. */
  verified?: boolean;
  /** The operator stopped it: nothing it holds works, and it gets nothing new. */
  suspended?: boolean;
  created_at?: number;
}

/** What a registration is for: the developer who owns it, and the kind they chose. */
export interface Registration {
  owner?: string;
  kind?: string;
}

/** Where and how Plaza calls a client back. */
export interface ClientCallback {
  clientId: string;
  name: string;
  callbackUri: string;
  webhookSecret: string;
  /** The secret a rotation replaced, while its grace lasts: callbacks are signed with both. */
  previousWebhookSecret?: string;
  /** The `use: enc` key of the client's registered `jwks`: callbacks are encrypted to it. */
  encryptionKey?: JWK;
}

/** A client id Plaza makes up, for registrations that do not bring one. */
export const newClientId = () => `app_${randomBytes(9).toString('base64url')}`;

/** A Standard Webhooks secret. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

const newSecret: Record<SecretField, () => string> = {
  client_secret: () => randomBytes(32).toString('base64url'),
  webhook_secret: newWebhookSecret,
};

/** A stored client's standing; one registered before standings were recorded was registered by the operator. */
export function standingOf(payload: Record<string, unknown> | undefined): ClientStanding {
  const standing = payload?.[STANDING];
  return typeof standing === 'object' && standing !== null ? standing as ClientStanding : { registrar: 'operator' };
}

function equalSecrets(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
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
  readonly #checkInput: (value: unknown) => Record<string, unknown> & { client_id?: string };
  /** The schema `register` checks its input against, for the admin API's document. */
  readonly input: JsonSchema;

  constructor(store: Store, provider: Provider, box: SecretBox, builtIn: ReadonlySet<string>, input: JsonSchema) {
    this.#docs = modelCollection(store, 'Client');
    this.input = input;
    this.#checkInput = validator(input, { code: 'invalid_client_metadata' });
    this.#provider = provider;
    this.#box = box;
    this.#builtIn = builtIn;
  }

  /**
   * Registers a client, or replaces an existing one with the same client_id (seeding is idempotent). A developer
   * replaces only their own; the standing and each secret still used carry over.
   */
  async register(given: unknown, registrar: Registrar, registration: Registration = {}): Promise<Registered> {
    const input = this.#checkInput(given);
    const refusal = operatorOnlyRefusal(input, registrar);
    if (refusal) throw badMetadata(refusal);
    const clientId = input.client_id ?? newClientId();
    if (this.#builtIn.has(clientId)) throw badMetadata(`client_id ${clientId} is one of Plaza's own clients; choose another`);
    const storedOnly = storedOnlyFieldIn(input);
    if (storedOnly) throw badMetadata(`${storedOnly} is Plaza's own; send the secret itself`);
    const metadata: ClientMetadata = { ...input, client_id: clientId };
    // Plaza sets the subject type from what the client is whenever it is read (subjects.ts): none is stored.
    delete metadata.subject_type;
    const existing = (await this.#docs.get(clientId))?.payload;
    if (existing && registrar === 'developer' && standingOf(existing).owner !== registration.owner) throw badMetadata(`client_id ${clientId} is taken`);
    let generatedSecret: string | undefined;
    let generatedWebhookSecret: string | undefined;
    if (metadata.token_endpoint_auth_method === 'none') {
      delete metadata.client_secret;
    } else {
      const secret = secretFor(metadata.client_secret, existing && clientSecretOf(existing, 'client_secret', this.#box), newSecret.client_secret);
      metadata.client_secret = secret.value;
      generatedSecret = secret.generated;
    }
    if (metadata.callback_uri !== undefined) {
      const secret = secretFor(metadata.webhook_secret, existing && clientSecretOf(existing, 'webhook_secret', this.#box), newSecret.webhook_secret);
      metadata.webhook_secret = secret.value;
      generatedWebhookSecret = secret.generated;
    }
    try {
      await this.#provider.Client.validate(metadata as never);
    } catch (err) {
      const e = err as { error_description?: string; message: string };
      throw badMetadata(e.error_description ?? e.message);
    }
    const standing: ClientStanding = existing
      ? { ...standingOf(existing), ...(registration.kind ? { kind: registration.kind } : {}) }
      : { registrar, ...registration, created_at: Date.now() };
    const payload = { ...storedOnlyFields(existing, metadata), ...sealClientSecrets(metadata, this.#box), [STANDING]: standing };
    await this.#docs.put({ id: clientId, payload: payload as never });
    return { metadata: withoutSecrets(metadata) as ClientMetadata, generatedSecret, generatedWebhookSecret, created: !existing };
  }

  /** Plaza's record of a client, for any registered client (suspended ones too). */
  async standing(clientId: string): Promise<ClientStanding | undefined> {
    const doc = await this.#docs.get(clientId);
    return doc ? standingOf(doc.payload) : undefined;
  }

  /** Whether the operator suspended the client: it gets nothing new and its tokens are refused. */
  async isSuspended(clientId: string): Promise<boolean> {
    return (await this.standing(clientId))?.suspended === true;
  }

  /** Changes what Plaza records of a client (its owner, verified, suspended); false when there is no such client. */
  async setStanding(clientId: string, patch: Partial<ClientStanding>): Promise<boolean> {
    const doc = await this.#docs.get(clientId);
    if (!doc) return false;
    const standing = { ...standingOf(doc.payload), ...patch };
    return (await this.#docs.update(clientId, { payload: { [STANDING]: standing } as never })) !== undefined;
  }

  /** The apps a developer owns, oldest first. */
  async ownedBy(owner: string): Promise<ClientMetadata[]> {
    const docs = await this.#docs.find({ [`payload.${STANDING}.owner`]: owner });
    const created = (d: { payload: Record<string, unknown> }) => standingOf(d.payload).created_at ?? 0;
    return docs.sort((a, b) => created(a) - created(b)).map((d) => withoutSecrets(d.payload) as ClientMetadata);
  }

  /** Makes a new secret current and returns it; the replaced one keeps working for `graceMs` (0: stops now). */
  async rotateSecret(clientId: string, field: SecretField, graceMs: number): Promise<string | undefined> {
    const payload = (await this.#docs.get(clientId))?.payload;
    if (!payload || clientSecretOf(payload, field, this.#box) === undefined) return undefined;
    const secret = newSecret[field]();
    // Only if the secret is still the one read: of two rotations at once, one wins and the other changes nothing.
    const sealed = `${field}_sealed`;
    const asRead = { [`payload.${sealed}`]: sealedValues(payload)[sealed] };
    const updated = await this.#docs.update(clientId, { payload: rotationPatch(payload, field, secret, graceMs, this.#box) as never }, asRead);
    return updated ? secret : undefined;
  }

  /** Whether `secret` is the client secret a rotation replaced, its grace not over yet. */
  async isPreviousClientSecret(clientId: string, secret: string): Promise<boolean> {
    const payload = (await this.#docs.get(clientId))?.payload;
    const previous = payload && previousSecretOf(payload, 'client_secret', this.#box);
    return previous !== undefined && equalSecrets(previous, secret);
  }

  async get(clientId: string): Promise<ClientMetadata | undefined> {
    const doc = await this.#docs.get(clientId);
    return doc ? withoutSecrets(doc.payload) as ClientMetadata : undefined;
  }

  async callbackOf(clientId: string): Promise<ClientCallback | undefined> {
    const payload = (await this.#docs.get(clientId))?.payload;
    const webhookSecret = payload && clientSecretOf(payload, 'webhook_secret', this.#box);
    if (typeof payload?.callback_uri !== 'string' || webhookSecret === undefined || standingOf(payload).suspended) return undefined;
    const name = typeof payload.client_name === 'string' ? payload.client_name : clientId;
    const keys = (payload.jwks as { keys?: JWK[] } | undefined)?.keys ?? [];
    const encryptionKey = keys.find((k) => k.use === 'enc');
    const previousWebhookSecret = previousSecretOf(payload, 'webhook_secret', this.#box);
    return { clientId, name, callbackUri: payload.callback_uri, webhookSecret, previousWebhookSecret, encryptionKey };
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
