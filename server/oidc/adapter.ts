// The oidc-provider adapter, written once on the storage port: one collection per model.
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Doc, IndexSpec, Store } from '../store/index.ts';
import { STANDING } from './client_secrets.ts';

interface ModelDoc extends Doc {
  payload: AdapterPayload;
  grantId?: string;
  uid?: string;
  userCode?: string;
  accountId?: string;
  clientId?: string;
  consumed?: number;
}

const GRANTABLE = new Set([
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode',
]);

function collectionName(model: string): string {
  return `oidc_${model.replace(/[A-Z]/g, (c, i) => (i ? '_' : '') + c.toLowerCase())}`;
}

/** The collection behind one oidc-provider model, for the few reads oidc-provider has no method for (listing). */
export function modelCollection(store: Store, model: string) {
  return store.collection<ModelDoc>({ name: collectionName(model), indexes: indexesFor(model) });
}

function indexesFor(model: string): IndexSpec[] {
  const indexes: IndexSpec[] = [];
  if (GRANTABLE.has(model)) indexes.push({ field: 'grantId' });
  if (model === 'Session') indexes.push({ field: 'uid', unique: true }, { field: 'accountId' });
  if (model === 'DeviceCode') indexes.push({ field: 'userCode', unique: true });
  if (model === 'Grant') indexes.push({ field: 'accountId' });
  // A developer's apps are found by their owner (the console's list).
  if (model === 'Client') indexes.push({ field: `payload.${STANDING}.owner` });
  return indexes;
}

/** Fails the loser of a race to consume a one-time artifact with the error oidc-provider gives for reuse. */
function alreadyConsumed(model: string): Error {
  if (model === 'PushedAuthorizationRequest') return new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  return new errors.InvalidGrant(`${model.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()} already used`);
}

function toPayload(doc: ModelDoc | undefined): AdapterPayload | undefined {
  if (!doc) return undefined;
  return doc.consumed ? { ...doc.payload, consumed: doc.consumed } : doc.payload;
}

/** How a model's stored payload becomes what oidc-provider reads, where the two differ; undefined hides it. */
export type PayloadReaders = Partial<Record<string, (payload: AdapterPayload) => AdapterPayload | undefined>>;

/** How what oidc-provider saves of a model becomes what is stored, given what was stored before. */
export type PayloadWriters = Partial<Record<string, (payload: AdapterPayload, stored: AdapterPayload | undefined) => AdapterPayload>>;

export function createAdapter(store: Store, readers: PayloadReaders = {}, writers: PayloadWriters = {}): new (model: string) => Adapter {
  return class StoreAdapter implements Adapter {
    readonly #model: string;
    readonly #docs;
    readonly #read: (doc: ModelDoc | undefined) => AdapterPayload | undefined;
    readonly #write: PayloadWriters[string];

    constructor(model: string) {
      this.#model = model;
      this.#docs = modelCollection(store, model);
      const reader = readers[model];
      this.#read = reader ? (doc) => { const payload = toPayload(doc); return payload && reader(payload); } : toPayload;
      this.#write = writers[model];
    }

    async upsert(id: string, given: AdapterPayload, expiresIn: number): Promise<void> {
      const payload = this.#write ? this.#write(given, (await this.#docs.get(id))?.payload) : given;
      const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : null;
      // oidc-provider looks a jti up, then saves it: only the first save wins, so a replay racing the first use fails too.
      if (this.#model === 'ReplayDetection') {
        if (!await this.#docs.insert({ id, payload, expiresAt })) throw new errors.InvalidRequest('replay detected: this jti was already used');
        return;
      }
      await this.#docs.put({
        id,
        payload,
        grantId: payload.grantId,
        uid: payload.uid,
        userCode: payload.userCode,
        accountId: payload.accountId,
        clientId: payload.clientId,
        expiresAt,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return this.#read(await this.#docs.get(id));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const [doc] = await this.#docs.find({ uid }, { limit: 1 });
      return this.#read(doc);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const [doc] = await this.#docs.find({ userCode }, { limit: 1 });
      return this.#read(doc);
    }

    async consume(id: string): Promise<void> {
      const updated = await this.#docs.update(id, { consumed: Math.floor(Date.now() / 1000) }, { consumed: null });
      if (!updated) throw alreadyConsumed(this.#model);
    }

    async destroy(id: string): Promise<void> {
      await this.#docs.delete(id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await this.#docs.deleteMany({ grantId });
    }
  };
}

export const GRANT_BOUND_MODELS = [...GRANTABLE];

export const MODELS = [
  'AccessToken', 'AuthorizationCode', 'BackchannelAuthenticationRequest', 'Client', 'ClientCredentials', 'DeviceCode',
  'Grant', 'InitialAccessToken', 'Interaction', 'PreAuthorizedCode', 'PushedAuthorizationRequest', 'RefreshToken',
  'RegistrationAccessToken', 'ReplayDetection', 'Session',
] as const;

/** Revokes a grant and every code and token issued under it. */
export async function revokeGrant(store: Store, grantId: string): Promise<void> {
  for (const model of GRANT_BOUND_MODELS) await modelCollection(store, model).deleteMany({ grantId });
  await modelCollection(store, 'Grant').delete(grantId);
}
