// RFC 7591 dynamic registration and RFC 7592 management, on oidc-provider's `registration` features: gated by
// single-use initial access tokens that name the developer who will own the app, under the one field policy
// of developer registrations.
import type { Middleware } from 'koa';
import { errors, type AdapterPayload, type KoaContextWithOIDC } from 'oidc-provider';
import Provider from 'oidc-provider';
import { sha256url, type Doc, type Store } from '../store/index.ts';
import { sealClientSecrets, STANDING, storedOnlyFieldIn, storedOnlyFields } from './client_secrets.ts';
import { standingOf, type ClientStanding } from './clients.ts';
import { operatorOnlyRefusal } from './operator_fields.ts';
import type { SecretBox } from '../store/index.ts';

/** The registration policy every initial access token carries, and the registration access tokens it leads to. */
export const DEVELOPER_POLICY = 'developer';

interface TokenOwner extends Doc {
  /** The account id of the developer the registered app will belong to; none for the operator's own. */
  owner: string | null;
  createdAt: number;
}

export interface InitialAccessTokenView {
  id: string;
  created_at: string;
  expires_at: string;
}

/** Who a registration belongs to, kept on the request by the policy for the adapter's write of the new client. */
const REGISTRANT = 'plazaRegistrant';

/**
 * Initial access tokens: oidc-provider's InitialAccessToken model, and beside it, under the token's digest, who
 * may use it. Using one consumes that record, so a token registers one app.
 */
export class InitialAccessTokens {
  readonly #owners;
  readonly #provider: Provider;
  readonly #ttl: number;

  constructor(store: Store, provider: Provider, ttlSeconds: number) {
    this.#owners = store.collection<TokenOwner>({ name: 'initial_access_token_owners', indexes: [{ field: 'owner' }] });
    this.#provider = provider;
    this.#ttl = ttlSeconds;
  }

  /** A new token, shown once; `owner` is the developer's account id, or none for an operator's registration. */
  async create(owner?: string): Promise<{ token: string; expires_at: string }> {
    const iat = new this.#provider.InitialAccessToken({ expiresIn: this.#ttl, policies: [DEVELOPER_POLICY] });
    const token = await iat.save();
    const expiresAt = Date.now() + this.#ttl * 1000;
    await this.#owners.put({ id: sha256url(token), owner: owner ?? null, createdAt: Date.now(), expiresAt });
    return { token, expires_at: new Date(expiresAt).toISOString() };
  }

  /** A developer's unused tokens (their digests, never the tokens). */
  async listFor(owner: string): Promise<InitialAccessTokenView[]> {
    const docs = await this.#owners.find({ owner }, { orderBy: { field: 'createdAt' } });
    return docs.map((d) => ({ id: d.id, created_at: new Date(d.createdAt).toISOString(), expires_at: new Date(d.expiresAt ?? 0).toISOString() }));
  }

  async revoke(owner: string, id: string): Promise<boolean> {
    const doc = await this.#owners.get(id);
    return doc?.owner === owner ? this.#owners.delete(id) : false;
  }

  /** Uses a token up: the owner it was for, or undefined when it was used or revoked already (one caller wins). */
  async consume(token: string): Promise<{ owner?: string } | undefined> {
    const id = sha256url(token);
    const doc = await this.#owners.get(id);
    if (!doc || !await this.#owners.delete(id)) return undefined;
    return { owner: doc.owner ?? undefined };
  }
}

/**
 * The `developer` registration policy (RFC 7591 registration and RFC 7592 updates): the operator's fields refused,
 * a webhook secret made for a new callback, and at registration the initial access token used up.
 */
export function developerPolicy(tokens: InitialAccessTokens, newWebhookSecret: () => string) {
  return async (ctx: KoaContextWithOIDC, properties: Record<string, unknown>): Promise<void> => {
    const refusal = operatorOnlyRefusal(properties, 'developer') ?? (storedOnlyFieldIn(properties) && `${storedOnlyFieldIn(properties)} is Plaza's own`);
    if (refusal) throw new errors.InvalidClientMetadata(refusal);
    if (ctx.method !== 'POST') return;
    if (properties.callback_uri !== undefined && properties.webhook_secret === undefined) properties.webhook_secret = newWebhookSecret();
    // Checked before the token is used up, so that a mistake in the metadata does not cost the developer their token.
    await ctx.oidc.provider.Client.validate(properties as never);
    const iat = ctx.oidc.entities.InitialAccessToken;
    const use = iat?.jti ? await tokens.consume(iat.jti) : undefined;
    if (!use) throw new errors.InvalidToken('initial access token was already used or revoked');
    ctx.state[REGISTRANT] = use.owner;
  };
}

/**
 * What oidc-provider saves of a registered client (registration and updates) is stored like any other: secrets
 * sealed, Plaza's own fields kept, and a new one recorded with its owner in the same write, so that no crash can
 * leave a registered app that belongs to nobody. The owner comes from the request oidc-provider is answering.
 */
export function registeredClientWriter(box: SecretBox) {
  return (payload: AdapterPayload, stored: AdapterPayload | undefined): AdapterPayload => {
    const owner = Provider.ctx?.state[REGISTRANT] as string | undefined;
    const standing: ClientStanding = stored ? standingOf(stored) : { registrar: 'developer', ...(owner ? { owner } : {}), created_at: Date.now() };
    return { ...storedOnlyFields(stored, payload), ...sealClientSecrets(payload, box), [STANDING]: standing } as AdapterPayload;
  };
}

/** After oidc-provider answered: a client deleted by RFC 7592 loses its grants, and with them every token it holds. */
export function registrationObserver(revokeClientGrants: (clientId: string) => Promise<number>): Middleware {
  return async (ctx, next) => {
    await next();
    const { oidc } = ctx as unknown as Partial<KoaContextWithOIDC>;
    if (oidc?.route === 'client_delete' && ctx.status === 204 && oidc.client) await revokeClientGrants(oidc.client.clientId);
  };
}
