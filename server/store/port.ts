// The storage port: one document-store interface that every engine implements.
// Repositories are written once against it; only engines know SQL or MongoDB.

export type Scalar = string | number | boolean | null;

/** A stored document. `expiresAt` (epoch ms) makes it invisible once passed and lets the sweeper remove it. */
export interface Doc {
  id: string;
  expiresAt?: number | null;
}

export type ComparisonOp = 'lt' | 'lte' | 'gt' | 'gte' | 'ne' | 'in';

/** A comparison made by code, never parsed from input: engines accept only scalars or instances of this class. */
export class Comparison {
  readonly op: ComparisonOp;
  readonly value: Scalar | readonly Scalar[];
  constructor(op: ComparisonOp, value: Scalar | readonly Scalar[]) {
    this.op = op;
    this.value = value;
  }
}

export const lt = (v: number | string) => new Comparison('lt', v);
export const lte = (v: number | string) => new Comparison('lte', v);
export const gt = (v: number | string) => new Comparison('gt', v);
export const gte = (v: number | string) => new Comparison('gte', v);
export const ne = (v: Scalar) => new Comparison('ne', v);
export const oneOf = (v: readonly Scalar[]) => new Comparison('in', v);

/** Field conditions joined by AND. `null` matches a missing field. */
export type Where = Record<string, Scalar | Comparison | undefined>;

export interface IndexSpec {
  field: string;
  /** A second key, so that documents with one `field` value come out in this order without a sort. */
  sortBy?: string;
  unique?: boolean;
}

export interface CollectionSpec {
  name: string;
  indexes?: readonly IndexSpec[];
}

export interface FindOptions {
  limit?: number;
  orderBy?: { field: string; direction?: 'asc' | 'desc' };
}

/** Merge-patch (RFC 7396) semantics: `null` removes a field, objects merge, arrays replace. */
export type Patch<T> = { [K in keyof T]?: T[K] | null };

export interface Collection<T extends Doc> {
  readonly name: string;
  get(id: string): Promise<T | undefined>;
  /** Insert or replace by id. */
  put(doc: T): Promise<void>;
  /** Insert only if no document has this id (or a unique field value); false otherwise. */
  insert(doc: T): Promise<boolean>;
  find(where: Where, options?: FindOptions): Promise<T[]>;
  count(where: Where): Promise<number>;
  /** Atomic conditional update: applies the patch only when `where` holds; returns the new document or undefined. */
  update(id: string, patch: Patch<T>, where?: Where): Promise<T | undefined>;
  /** Atomically picks one document matching `where` (in `orderBy` order) and patches it; one caller wins each document. */
  claim(where: Where, patch: Patch<T>, options?: Pick<FindOptions, 'orderBy'>): Promise<T | undefined>;
  delete(id: string): Promise<boolean>;
  deleteMany(where: Where): Promise<number>;
}

export interface Store {
  readonly engine: string;
  collection<T extends Doc>(spec: CollectionSpec): Collection<T>;
  /** Every live document of every collection, for `admin db export`. */
  dump(): AsyncIterable<{ collection: string; doc: Doc }>;
  /** Creates the declared indexes of every collection opened so far; returns their names. */
  migrate(): Promise<string[]>;
  /** Removes expired documents of every collection opened so far; returns how many. */
  sweep(now?: number): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class StoreError extends Error {
  override name = 'StoreError';
}

/** The store cannot be reached; the engine reconnects by itself, so a caller may try again shortly. */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError';
  constructor() {
    super('the store is unavailable; try again shortly');
  }
}

/** A write would break a unique index. */
export class DuplicateKeyError extends StoreError {
  override name = 'DuplicateKeyError';
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Field names come from code; this stops anything else from becoming a column or operator. */
export function assertFieldName(field: string): void {
  if (!FIELD.test(field)) throw new StoreError(`invalid field name: ${JSON.stringify(field)}`);
}

export function assertScalar(value: unknown, field: string): asserts value is Scalar {
  if (value === null) return;
  const t = typeof value;
  if (t === 'string' || t === 'boolean' || (t === 'number' && Number.isFinite(value))) return;
  throw new StoreError(`condition on ${field} must be a scalar or a Comparison`);
}
