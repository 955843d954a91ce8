// The MongoDB engine, on mongoose: one model per collection, documents kept under `d`, declared indexes on the
// schema, expiry in `x` (a Date, for a TTL index where the server has a TTL monitor; reads check it anyway).
// Every conditional write is one findOneAndUpdate; nothing relies on transactions. sanitizeFilter and
// strictQuery are on: only Plaza's own Comparison objects become operators, marked trusted.
import { randomUUID } from 'node:crypto';
import mongoose, { Schema, type Connection, type Model } from 'mongoose';
import {
  Comparison, DuplicateKeyError, StoreError, StoreUnavailableError, assertFieldName, assertScalar,
  type Collection, type CollectionSpec, type Doc, type FindOptions, type Patch, type Store, type Where,
} from '../port.ts';

export interface MongoOptions {
  uri: string;
  maxPoolSize?: number;
  serverSelectionTimeoutMs?: number;
}

interface Stored {
  _id: string;
  d: Record<string, unknown>;
  x?: Date | null;
  /** A fresh random value on every write: the version a guarded conditional write locks. */
  v?: string;
}

/** The most times a guarded conditional write re-reads after losing a race, before giving up. */
const GUARD_ATTEMPTS = 16;
/** Tries of an upsert that lost the race to insert its id: the second one finds the document and replaces it. */
const PUT_ATTEMPTS = 3;
/** A lock only spans one write; a writer that died holding one lets the next take it over after this. */
const LOCK_MS = 5000;
/**
 * A writer writes only while at least this much of its lock is left, else gives it back and reads again: on a loaded
 * machine the insert that took the lock may return late, and a write after a takeover would let two writers win.
 */
const LOCK_WRITE_MARGIN_MS = LOCK_MS / 2;

const OPS = { lt: '$lt', lte: '$lte', gt: '$gt', gte: '$gte', ne: '$ne', in: '$in' } as const;
const NAME = /^[a-z][a-z0-9_]*$/;

function path(field: string): string {
  if (field === 'id') return '_id';
  assertFieldName(field);
  return `d.${field}`;
}

function live(now = new Date()): Record<string, unknown> {
  return { $or: [{ x: null }, { x: mongoose.trusted({ $gt: now }) }] };
}

function filter(where: Where): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, cond] of Object.entries(where)) {
    if (cond === undefined) continue;
    if (cond instanceof Comparison) {
      const values = Array.isArray(cond.value) ? cond.value : [cond.value];
      for (const v of values) assertScalar(v, field);
      out[path(field)] = mongoose.trusted({ [OPS[cond.op]]: cond.value });
    } else {
      assertScalar(cond, field);
      out[path(field)] = cond;
    }
  }
  return out;
}

/** RFC 7396 merge patch as $set/$unset on dotted paths under `d`. */
function update(patch: Record<string, unknown>): Record<string, unknown> {
  const $set: Record<string, unknown> = {};
  const $unset: Record<string, ''> = {};
  const walk = (prefix: string, value: Record<string, unknown>, top: boolean) => {
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      if (top) assertFieldName(key);
      const at = `${prefix}.${top ? key : encodeKey(key)}`;
      if (v === null) $unset[at] = '';
      else if (typeof v === 'object' && !Array.isArray(v)) walk(at, v as Record<string, unknown>, false);
      else $set[at] = recode(v, encodeKey);
    }
  };
  walk('d', patch, true);
  if ('expiresAt' in patch) $set.x = typeof patch.expiresAt === 'number' ? new Date(patch.expiresAt) : null;
  $set.v = randomUUID();
  return mongoose.trusted({ ...(Object.keys($set).length ? { $set } : {}), ...(Object.keys($unset).length ? { $unset } : {}) }) as Record<string, unknown>;
}

// Keys inside documents may hold dots or start with "$" (a Grant's resources are keyed by URL); some servers
// refuse such keys, so they are stored with look-alike characters and restored on read.
const encodeKey = (key: string) => key.replaceAll('.', '\uFF0E').replace(/^\$/, '\uFF04');
const decodeKey = (key: string) => key.replaceAll('\uFF0E', '.').replace(/^\uFF04/, '$');

function recode(value: unknown, code: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => recode(v, code));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [code(k), recode(v, code)]));
}

function isDuplicate(err: unknown): boolean {
  return (err as { code?: number })?.code === 11000;
}

const NETWORK_ERRORS = new Set(['MongoNetworkError', 'MongoServerSelectionError', 'MongoNotConnectedError', 'MongoNetworkTimeoutError', 'MongoTopologyClosedError']);

/** Runs a driver call; a lost connection becomes a StoreUnavailableError instead of a hang or a bare 500. */
async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (NETWORK_ERRORS.has((err as Error)?.name) || (err as Error)?.message?.includes('buffering timed out')) throw new StoreUnavailableError();
    throw err;
  }
}

function toDoc<T extends Doc>(stored: Stored | null | undefined): T | undefined {
  return stored ? { ...recode(stored.d, decodeKey) as object, id: stored._id } as T : undefined;
}

function toStored(doc: Doc): Stored {
  const { id, ...rest } = doc;
  return { _id: id, d: recode(rest, encodeKey) as Record<string, unknown>, x: typeof doc.expiresAt === 'number' ? new Date(doc.expiresAt) : null, v: randomUUID() };
}

export class MongoStore implements Store {
  readonly engine = 'mongo';
  readonly #conn: Connection;
  readonly #models = new Map<string, Model<Stored>>();
  /**
   * FerretDB 1.x runs findAndModify as a read and then a write, so two racing conditional updates can both win.
   * Against it, each conditional write first wins a unique insert keyed by the document's version.
   */
  readonly #guardWrites: boolean;

  private constructor(conn: Connection, guardWrites: boolean) {
    this.#conn = conn;
    this.#guardWrites = guardWrites;
  }

  static async connect(options: MongoOptions): Promise<MongoStore> {
    mongoose.set('sanitizeFilter', true);
    mongoose.set('strictQuery', true);
    const conn = mongoose.createConnection(options.uri, {
      maxPoolSize: options.maxPoolSize ?? 20,
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 5000,
      bufferCommands: false,
      autoIndex: false,
      autoCreate: false,
    });
    await guarded(() => conn.asPromise());
    const info = await guarded(() => conn.db!.admin().buildInfo());
    return new MongoStore(conn, typeof info.ferretdbVersion === 'string');
  }

  model(spec: CollectionSpec): Model<Stored> {
    if (!NAME.test(spec.name)) throw new StoreError(`invalid collection name: ${spec.name}`);
    let model = this.#models.get(spec.name);
    if (!model) {
      const schema = new Schema<Stored>({ _id: String, d: Schema.Types.Mixed, x: Date }, { versionKey: false, strict: true, strictQuery: true, collection: spec.name, minimize: false });
      for (const index of spec.indexes ?? []) {
        const keys = { [path(index.field)]: 1 as const, ...(index.sortBy ? { [path(index.sortBy)]: 1 as const } : {}) };
        schema.index(keys, { unique: index.unique ?? false, sparse: index.unique ?? false });
      }
      schema.index({ x: 1 });
      schema.add({ v: String });
      model = this.#conn.model<Stored>(spec.name, schema);
      this.#models.set(spec.name, model);
    }
    return model;
  }

  collection<T extends Doc>(spec: CollectionSpec): Collection<T> {
    const locks = this.#guardWrites ? this.model({ name: 'write_locks' }) : undefined;
    return new MongoCollection<T>(spec.name, this.model(spec), locks);
  }

  /** Creates the declared indexes of every collection opened so far (`admin db migrate`). */
  async migrate(): Promise<string[]> {
    for (const model of this.#models.values()) {
      await guarded(async () => {
        await model.createCollection().catch(() => undefined);
        await model.createIndexes();
        // A TTL index only reclaims space sooner; servers without a TTL monitor (FerretDB) do without it.
        await model.collection.createIndex({ x: 1 }, { expireAfterSeconds: 0, name: 'x_ttl' }).catch(() => undefined);
      });
    }
    return [...this.#models.keys()];
  }

  async *dump(): AsyncIterable<{ collection: string; doc: Doc }> {
    const collections = await guarded(() => this.#conn.db!.listCollections({}, { nameOnly: true }).toArray());
    for (const { name } of collections.sort((a, b) => a.name.localeCompare(b.name))) {
      if (!NAME.test(name)) continue;
      const cursor = this.#conn.db!.collection<Stored>(name).find(live() as never);
      for await (const stored of cursor) yield { collection: name, doc: toDoc<Doc>(stored as Stored)! };
    }
  }

  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const model of this.#models.values()) {
      const { deletedCount } = await guarded(() => model.deleteMany({ x: mongoose.trusted({ $lte: new Date(now) }) }));
      removed += deletedCount;
    }
    return removed;
  }

  async ping(): Promise<void> {
    await guarded(async () => { await this.#conn.db!.admin().ping(); });
  }

  async close(): Promise<void> {
    await this.#conn.close();
  }

  /** Removes the whole database: for tests that made one of their own. */
  async dropDatabase(): Promise<void> {
    await this.#conn.dropDatabase();
  }
}

class MongoCollection<T extends Doc> implements Collection<T> {
  readonly name: string;
  readonly #model: Model<Stored>;
  readonly #locks?: Model<Stored>;

  constructor(name: string, model: Model<Stored>, locks?: Model<Stored>) {
    this.name = name;
    this.#model = model;
    this.#locks = locks;
  }

  /** One atomic conditional write: findOneAndUpdate, or on FerretDB a version lock won by a unique insert first. */
  async #conditional(query: Record<string, unknown>, patch: Record<string, unknown>, sort?: Record<string, 1 | -1>): Promise<Stored | undefined> {
    const locks = this.#locks;
    if (!locks) return (await guarded(() => this.#model.findOneAndUpdate(query, update(patch), { returnDocument: 'after', sort }).lean<Stored>())) ?? undefined;
    for (let attempt = 0; attempt < GUARD_ATTEMPTS; attempt += 1) {
      const current = await guarded(() => this.#model.findOne(query).sort(sort).lean<Stored>());
      if (!current) return undefined;
      const lock = { _id: `${this.name}:${current._id}:${current.v ?? ''}`, d: {}, x: new Date(Date.now() + LOCK_MS) };
      try {
        await guarded(() => locks.create([lock]));
      } catch (err) {
        if (!isDuplicate(err)) throw err;
        await guarded(() => locks.deleteOne({ _id: lock._id, x: mongoose.trusted({ $lte: new Date() }) }));
        continue;
      }
      if (Date.now() > lock.x.getTime() - LOCK_WRITE_MARGIN_MS) {
        await guarded(() => locks.deleteOne({ _id: lock._id, x: lock.x }));
        continue;
      }
      const written = await guarded(() => this.#model.findOneAndUpdate({ _id: current._id, v: current.v ?? null }, update(patch), { returnDocument: 'after' }).lean<Stored>());
      if (written) return written;
    }
    return undefined;
  }

  async get(id: string): Promise<T | undefined> {
    return toDoc<T>(await guarded(() => this.#model.findOne({ _id: id, ...live() }).lean<Stored>()));
  }

  async put(doc: T): Promise<void> {
    // Two upserts of one new id may both insert, and one fails on _id; MongoDB 4.2+ retries that itself, FerretDB
    // does not, so the loser tries again and replaces. A duplicate that persists is another unique field's.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await guarded(() => this.#model.replaceOne({ _id: doc.id }, toStored(doc), { upsert: true }));
        return;
      } catch (err) {
        if (!isDuplicate(err)) throw err;
        if (attempt >= PUT_ATTEMPTS) throw new DuplicateKeyError(`duplicate key in ${this.name}`);
      }
    }
  }

  async insert(doc: T): Promise<boolean> {
    try {
      await guarded(() => this.#model.create([toStored(doc)]));
      return true;
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
    // An expired document with the same id counts as absent, so it may be replaced.
    try {
      const replaced = await guarded(() => this.#model.replaceOne({ _id: doc.id, x: mongoose.trusted({ $lte: new Date() }) }, toStored(doc)));
      return replaced.modifiedCount === 1;
    } catch (err) {
      if (isDuplicate(err)) return false;
      throw err;
    }
  }

  #query(where: Where) {
    return { ...filter(where), ...live() };
  }

  async find(where: Where, options: FindOptions = {}): Promise<T[]> {
    let query = this.#model.find(this.#query(where));
    if (options.orderBy) query = query.sort({ [path(options.orderBy.field)]: options.orderBy.direction === 'desc' ? -1 : 1 });
    if (options.limit) query = query.limit(Math.max(1, Math.floor(options.limit)));
    const rows = await guarded(() => query.lean<Stored[]>());
    return rows.map((r) => toDoc<T>(r)!);
  }

  async count(where: Where): Promise<number> {
    return guarded(() => this.#model.countDocuments(this.#query(where)));
  }

  async update(id: string, patch: Patch<T>, where: Where = {}): Promise<T | undefined> {
    try {
      return toDoc<T>(await this.#conditional({ _id: id, ...this.#query(where) }, patch as Record<string, unknown>));
    } catch (err) {
      if (isDuplicate(err)) throw new DuplicateKeyError(`duplicate key in ${this.name}`);
      throw err;
    }
  }

  async claim(where: Where, patch: Patch<T>, options?: Pick<FindOptions, 'orderBy'>): Promise<T | undefined> {
    const sort = options?.orderBy ? { [path(options.orderBy.field)]: options.orderBy.direction === 'desc' ? -1 as const : 1 as const } : undefined;
    return toDoc<T>(await this.#conditional(this.#query(where), patch as Record<string, unknown>, sort));
  }

  async delete(id: string): Promise<boolean> {
    const { deletedCount } = await guarded(() => this.#model.deleteOne({ _id: id }));
    return deletedCount > 0;
  }

  async deleteMany(where: Where): Promise<number> {
    const { deletedCount } = await guarded(() => this.#model.deleteMany(filter(where)));
    return deletedCount;
  }
}
