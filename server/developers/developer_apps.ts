// A developer's apps: registered under the developer field policy with the kind's metadata and the developer's own
// fields, owned by their account, and reachable by nobody else (another developer's app is "not found").
import { HttpError, InputError } from '../http/index.ts';
import type { ClientMetadata, ClientStanding, Oidc, SecretField } from '../oidc/index.ts';
import type { Deliveries, Delivery } from '../async/index.ts';
import { INTERACTION_ACTIONS, TRIGGERS_FIELD, type Triggers } from '../action_grants/index.ts';
import { appKind, type AppKind } from './app_kinds.ts';

/** What the developer writes on the console's form. */
export interface AppFields {
  name: string;
  description: string;
  website: string;
  redirectUris: string[];
  callbackUri: string;
  /** A public JWK (JSON) that callbacks are encrypted to. */
  encryptionJwk: string;
  /** The app's slash commands, one a line: `/weather The weather for a city`. */
  commands: string;
  /** The name it answers to when @-mentioned. */
  mention: string;
  /** It takes messages members share with it, and what it does with them. */
  share: boolean;
  shareDescription: string;
}

export interface DeveloperAppsDeps {
  oidc: Pick<Oidc, 'clients' | 'revokeClientGrants'>;
  deliveries: Pick<Deliveries, 'forClient' | 'get' | 'redeliver' | 'enqueue'>;
}

export interface OwnedApp {
  metadata: ClientMetadata;
  standing: ClientStanding;
  kind?: AppKind;
}

/** How long the secret a rotation replaced keeps working, by the choices the console offers. */
export const GRACE_PERIODS: Record<string, number> = { now: 0, '1h': 3600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };

/** How many of an app's latest deliveries the console lists. */
const DELIVERIES_SHOWN = 20;

const badMetadata = (message: string) => new InputError(message, 'invalid_client_metadata');
const notFound = () => new HttpError(404, 'You have no app with this client_id.');

function encryptionKeys(json: string): { keys: Record<string, unknown>[] } | undefined {
  if (!json.trim()) return undefined;
  let jwk: unknown;
  try {
    jwk = JSON.parse(json);
  } catch {
    throw badMetadata('the encryption key must be a JWK in JSON');
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw badMetadata('the encryption key must be a JWK object');
  const key = jwk as Record<string, unknown>;
  // Only the public half is Plaza's business; a private or symmetric key here would be a leaked one.
  if (key.kty === 'oct' || 'd' in key) throw badMetadata('the encryption key must be a public key (no "d", not "oct")');
  return { keys: [{ ...key, use: 'enc' }] };
}

const COMMAND_LINE = /^\/?(\S*)\s*(.*)$/;

/** The `plaza_triggers` the form's fields declare, or none; checked where every registration is (the client schema). */
function triggersFrom(fields: AppFields): Triggers | undefined {
  const actions = [...INTERACTION_ACTIONS];
  const commands = fields.commands.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const [, name, description] = COMMAND_LINE.exec(line)!;
    return { name, ...(description ? { description } : {}), actions };
  });
  const mention = fields.mention.trim().replace(/^@/, '');
  const triggers: Triggers = {
    ...(commands.length ? { commands } : {}),
    ...(mention ? { mention: { name: mention, actions } } : {}),
    ...(fields.share ? { share: { ...(fields.shareDescription.trim() ? { description: fields.shareDescription.trim() } : {}), actions } } : {}),
  };
  return Object.keys(triggers).length ? triggers : undefined;
}

/** The form's fields for a registered app: what its page shows to edit. */
export function fieldsOf(metadata: Record<string, unknown>): AppFields {
  const jwks = (metadata.jwks as { keys?: Record<string, unknown>[] } | undefined)?.keys ?? [];
  const encryptionKey = jwks.find((k) => k.use === 'enc');
  const triggers = (metadata[TRIGGERS_FIELD] ?? {}) as Triggers;
  return {
    name: String(metadata.client_name ?? metadata.client_id ?? ''),
    description: String(metadata.plaza_description ?? ''),
    website: String(metadata.client_uri ?? ''),
    redirectUris: (metadata.redirect_uris as string[] | undefined) ?? [],
    callbackUri: String(metadata.callback_uri ?? ''),
    encryptionJwk: encryptionKey ? JSON.stringify(encryptionKey) : '',
    commands: (triggers.commands ?? []).map((c) => `/${c.name}${c.description ? ` ${c.description}` : ''}`).join('\n'),
    mention: triggers.mention?.name ?? '',
    share: triggers.share !== undefined,
    shareDescription: triggers.share?.description ?? '',
  };
}

/** The triggers' fields as the form names them, for a refusal that names them as metadata (`plaza_triggers.…`). */
const FORM_NAMES: [RegExp, (...groups: string[]) => string][] = [
  [new RegExp(`${TRIGGERS_FIELD}\\.commands\\.(\\d+)\\.(\\w+)`), (n, field) => `slash command ${Number(n) + 1}: its ${field}`],
  [new RegExp(`${TRIGGERS_FIELD}\\.commands`), () => 'the slash commands'],
  [new RegExp(`${TRIGGERS_FIELD}\\.mention\\.name`), () => 'the mention name'],
  [new RegExp(`${TRIGGERS_FIELD}\\.share\\.description`), () => 'what it does with shared messages'],
];

/** A refusal of the form, in the form's words. */
function inFormWords(err: unknown): unknown {
  if (!(err instanceof InputError)) return err;
  const named = FORM_NAMES.find(([pattern]) => pattern.test(err.message));
  if (!named) return err;
  const [pattern, words] = named;
  const message = err.message.replace(pattern, (_, ...groups: string[]) => words(...groups));
  return new InputError(message.charAt(0).toUpperCase() + message.slice(1), err.code);
}

/** The client metadata of an app of this kind with these fields; only these fields, whatever else a form sent. */
export function metadataFor(kind: AppKind, fields: AppFields): Record<string, unknown> {
  if (!fields.name.trim()) throw badMetadata('an app needs a name');
  const metadata: Record<string, unknown> = { ...kind.metadata, client_name: fields.name.trim() };
  if (fields.description.trim()) metadata.plaza_description = fields.description.trim();
  if (fields.website.trim()) metadata.client_uri = fields.website.trim();
  if (kind.redirects) {
    if (!fields.redirectUris.length) throw badMetadata(`a ${kind.label.toLowerCase()} needs at least one redirect URI`);
    metadata.redirect_uris = fields.redirectUris;
  }
  if (kind.callback !== 'none' && fields.callbackUri.trim()) metadata.callback_uri = fields.callbackUri.trim();
  if (kind.callback === 'required' && metadata.callback_uri === undefined) throw badMetadata(`a ${kind.label.toLowerCase()} needs a callback URI`);
  const jwks = encryptionKeys(fields.encryptionJwk);
  if (jwks) metadata.jwks = jwks;
  const triggers = kind.triggers ? triggersFrom(fields) : undefined;
  if (triggers) metadata[TRIGGERS_FIELD] = triggers;
  return metadata;
}

export class DeveloperApps {
  readonly #deps: DeveloperAppsDeps;

  constructor(deps: DeveloperAppsDeps) {
    this.#deps = deps;
  }

  get #clients() {
    return this.#deps.oidc.clients;
  }

  async create(owner: string, kindId: unknown, fields: AppFields) {
    const kind = appKind(kindId);
    if (!kind) throw badMetadata('choose what kind of app it is');
    return this.#clients.register(metadataFor(kind, fields), 'developer', { owner, kind: kind.id }).catch((err) => { throw inFormWords(err); });
  }

  async list(owner: string): Promise<OwnedApp[]> {
    const apps = [];
    for (const metadata of await this.#clients.ownedBy(owner)) {
      const standing = await this.#clients.standing(metadata.client_id);
      if (standing) apps.push({ metadata, standing, kind: appKind(standing.kind) });
    }
    return apps;
  }

  /** The app, if this developer owns it; otherwise a 404, the same whether it exists or not. */
  async get(owner: string, clientId: string): Promise<OwnedApp> {
    const standing = await this.#clients.standing(clientId);
    const metadata = standing?.owner === owner ? await this.#clients.get(clientId) : undefined;
    if (!standing || !metadata) throw notFound();
    return { metadata, standing, kind: appKind(standing.kind) };
  }

  async update(owner: string, clientId: string, fields: AppFields) {
    const app = await this.get(owner, clientId);
    if (!app.kind) throw badMetadata('this app was not made in the console; change it with RFC 7592 management');
    return this.#clients.register({ ...metadataFor(app.kind, fields), client_id: clientId }, 'developer', { owner }).catch((err) => { throw inFormWords(err); });
  }

  /** A new secret, shown once; the replaced one works for the chosen grace, then stops. */
  async rotate(owner: string, clientId: string, field: SecretField, grace: unknown): Promise<string> {
    const app = await this.get(owner, clientId);
    const graceMs = typeof grace === 'string' ? GRACE_PERIODS[grace] : undefined;
    if (graceMs === undefined) throw new InputError(`choose a grace period: ${Object.keys(GRACE_PERIODS).join(', ')}`);
    // The grace covers secrets compared at the token endpoint; a client_secret_jwt assertion is verified with the
    // current secret only, so such an app's secret is rotated with no grace.
    if (field === 'client_secret' && graceMs > 0 && app.metadata.token_endpoint_auth_method === 'client_secret_jwt') {
      throw new InputError('this app authenticates with client_secret_jwt, whose assertions Plaza checks against the current secret only: rotate it with no grace ("now") and switch the app over at once');
    }
    const secret = await this.#clients.rotateSecret(clientId, field, graceMs);
    if (!secret) throw new HttpError(409, 'This app has no such secret, or it was rotated at the same moment; reload and try again.');
    return secret;
  }

  /** Deletes the app, and with its grants every token it holds. */
  async remove(owner: string, clientId: string): Promise<void> {
    await this.get(owner, clientId);
    await this.#clients.remove(clientId);
    await this.#deps.oidc.revokeClientGrants(clientId);
  }

  async deliveries(owner: string, clientId: string): Promise<Delivery[]> {
    await this.get(owner, clientId);
    return this.#deps.deliveries.forClient(clientId, DELIVERIES_SHOWN);
  }

  async redeliver(owner: string, clientId: string, deliveryId: string): Promise<void> {
    await this.get(owner, clientId);
    const delivery = await this.#deps.deliveries.get(deliveryId);
    if (delivery?.clientId !== clientId) throw new HttpError(404, 'This app has no such delivery.');
    await this.#deps.deliveries.redeliver(deliveryId);
  }

  /** Queues a `ping` callback now, to check the app's endpoint and signature checking. */
  async ping(owner: string, clientId: string): Promise<void> {
    const app = await this.get(owner, clientId);
    if (typeof app.metadata.callback_uri !== 'string') throw new InputError('This app has no callback URI to ping.');
    await this.#deps.deliveries.enqueue({ clientId, type: 'ping', data: { client_id: clientId } });
  }
}
