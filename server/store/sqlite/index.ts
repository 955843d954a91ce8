// The embedded engine: one table per collection on node:sqlite, documents as JSON,
// declared indexes as expression indexes. Every conditional write is a single statement,
// so SQLite's write lock makes it atomic across threads and processes.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync, type SQLInputValue } from 'node:sqlite';
import {
  Comparison, DuplicateKeyError, StoreError, assertFieldName, assertScalar,
  type Collection, type CollectionSpec, type Doc, type FindOptions, type Patch, type Store, type Where,
} from '../port.ts';

export interface SqliteOptions {
  file: string;
  /** NORMAL survives process crashes in WAL mode; FULL also survives power loss. */
  synchronous?: 'NORMAL' | 'FULL';
  busyTimeoutMs?: number;
}

const NAME = /^[a-z][a-z0-9_]*$/;
const SWEEP_BATCH = 500;
const SWEEP_MAX_BATCHES = 200;

const OPS = { lt: '<', lte: '<=', gt: '>', gte: '>=', ne: 'IS NOT' } as const;

/** A document that has not expired, given the time now as its one parameter. */
const LIVE = '(expires_at IS NULL OR expires_at > ?)';

function column(field: string): string {
  if (field === 'id') return 'id';
  if (field === 'expiresAt') return 'expires_at';
  assertFieldName(field);
  return `json_extract(doc, '$.${field}')`;
}

function bind(value: unknown): SQLInputValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value as SQLInputValue;
}

function compileWhere(where: Where, params: SQLInputValue[]): string {
  const parts: string[] = [];
  for (const [field, cond] of Object.entries(where)) {
    if (cond === undefined) continue;
    const col = column(field);
    if (cond instanceof Comparison) {
      if (cond.op === 'in') {
        const values = cond.value as readonly unknown[];
        if (values.length === 0) { parts.push('0'); continue; }
        values.forEach((v) => { assertScalar(v, field); params.push(bind(v)); });
        parts.push(`${col} IN (${values.map(() => '?').join(', ')})`);
      } else {
        assertScalar(cond.value, field);
        parts.push(`${col} ${OPS[cond.op]} ?`);
        params.push(bind(cond.value));
      }
    } else {
      assertScalar(cond, field);
      parts.push(`${col} IS ?`);
      params.push(bind(cond));
    }
  }
  return parts.length ? parts.join(' AND ') : '1';
}

function compileOrder(options?: Pick<FindOptions, 'orderBy'>): string {
  if (!options?.orderBy) return '';
  const dir = options.orderBy.direction === 'desc' ? 'DESC' : 'ASC';
  return ` ORDER BY ${column(options.orderBy.field)} ${dir}`;
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Error && /UNIQUE constraint failed/.test(err.message);
}

export class SqliteStore implements Store {
  readonly engine = 'sqlite';
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #tables = new Set<string>();

  constructor(options: SqliteOptions) {
    mkdirSync(dirname(options.file), { recursive: true });
    this.#db = new DatabaseSync(options.file, { timeout: options.busyTimeoutMs ?? 5000 });
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec(`PRAGMA synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
  }

  /**
   * A prepared statement, kept. `arrays` for one that selects one column, the document: its rows come as arrays,
   * cheaper to make than objects.
   */
  statement(sql: string, rows: 'objects' | 'arrays' = 'objects'): StatementSync {
    const key = rows === 'arrays' ? `arrays:${sql}` : sql;
    let stmt = this.#statements.get(key);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      if (rows === 'arrays') stmt.setReturnArrays(true);
      this.#statements.set(key, stmt);
    }
    return stmt;
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }

  collection<T extends Doc>(spec: CollectionSpec): Collection<T> {
    if (!NAME.test(spec.name)) throw new StoreError(`invalid collection name: ${spec.name}`);
    const table = `doc_${spec.name}`;
    if (!this.#tables.has(table)) {
      this.exec(`CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL, expires_at INTEGER)`);
      this.exec(`CREATE INDEX IF NOT EXISTS ${table}__expires ON ${table}(expires_at) WHERE expires_at IS NOT NULL`);
      for (const index of spec.indexes ?? []) {
        const unique = index.unique ? 'UNIQUE ' : '';
        const keys = [index.field, ...(index.sortBy ? [index.sortBy] : [])];
        const name = `${table}__${keys.join('__').replaceAll('.', '_')}`;
        this.exec(`CREATE ${unique}INDEX IF NOT EXISTS ${name} ON ${table}(${keys.map(column).join(', ')})`);
      }
      this.#tables.add(table);
    }
    return new SqliteCollection<T>(this, spec.name, table);
  }

  async *dump(): AsyncIterable<{ collection: string; doc: Doc }> {
    const tables = this.statement("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 4) = 'doc_' ORDER BY name").all() as { name: string }[];
    for (const { name } of tables) {
      for (const row of this.statement(`SELECT doc FROM ${name} WHERE expires_at IS NULL OR expires_at > ?`).iterate(Date.now())) {
        yield { collection: name.slice('doc_'.length), doc: JSON.parse((row as { doc: string }).doc) };
      }
    }
  }

  /** Indexes are created when a collection is opened; nothing is left to do. */
  async migrate(): Promise<string[]> {
    return [...this.#tables].map((t) => t.slice('doc_'.length));
  }

  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const table of this.#tables) {
      const stmt = this.statement(
        `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ${SWEEP_BATCH})`,
      );
      for (let i = 0; i < SWEEP_MAX_BATCHES; i += 1) {
        const { changes } = stmt.run(now);
        removed += Number(changes);
        if (Number(changes) < SWEEP_BATCH) break;
      }
    }
    return removed;
  }

  async ping(): Promise<void> {
    this.statement('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}

class SqliteCollection<T extends Doc> implements Collection<T> {
  readonly name: string;
  readonly #store: SqliteStore;
  readonly #table: string;
  #getStatement?: StatementSync;

  constructor(store: SqliteStore, name: string, table: string) {
    this.#store = store;
    this.name = name;
    this.#table = table;
  }

  #live(params: SQLInputValue[]): string {
    params.push(Date.now());
    return LIVE;
  }

  #parse(row: unknown): T | undefined {
    return row ? JSON.parse((row as [string])[0]) as T : undefined;
  }

  async get(id: string): Promise<T | undefined> {
    // The most frequent statement, kept by the collection: no SQL text is built for it on each call.
    this.#getStatement ??= this.#store.statement(`SELECT doc FROM ${this.#table} WHERE id = ? AND ${LIVE}`, 'arrays');
    return this.#parse(this.#getStatement.get(id, Date.now()));
  }

  async put(doc: T): Promise<void> {
    try {
      this.#store.statement(
        `INSERT INTO ${this.#table} (id, doc, expires_at) VALUES (?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, expires_at = excluded.expires_at`,
      ).run(doc.id, JSON.stringify(doc), doc.expiresAt ?? null);
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(`duplicate key in ${this.name}`);
      throw err;
    }
  }

  async insert(doc: T): Promise<boolean> {
    try {
      // An expired document with the same id counts as absent, so it may be replaced.
      const { changes } = this.#store.statement(
        `INSERT INTO ${this.#table} (id, doc, expires_at) VALUES (?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, expires_at = excluded.expires_at
         WHERE ${this.#table}.expires_at IS NOT NULL AND ${this.#table}.expires_at <= ?`,
      ).run(doc.id, JSON.stringify(doc), doc.expiresAt ?? null, Date.now());
      return Number(changes) === 1;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async find(where: Where, options: FindOptions = {}): Promise<T[]> {
    const params: SQLInputValue[] = [];
    const live = this.#live(params);
    const cond = compileWhere(where, params);
    const limit = options.limit ? ` LIMIT ${Math.max(1, Math.floor(options.limit))}` : '';
    const rows = this.#store.statement(
      `SELECT doc FROM ${this.#table} WHERE ${live} AND ${cond}${compileOrder(options)}${limit}`, 'arrays',
    ).all(...params);
    return rows.map((row) => this.#parse(row)!);
  }

  async count(where: Where): Promise<number> {
    const params: SQLInputValue[] = [];
    const live = this.#live(params);
    const cond = compileWhere(where, params);
    const row = this.#store.statement(`SELECT count(*) AS n FROM ${this.#table} WHERE ${live} AND ${cond}`).get(...params);
    return Number((row as { n: number }).n);
  }

  #setClause(patch: Patch<T>, params: SQLInputValue[]): string {
    params.push(JSON.stringify(patch));
    if (!('expiresAt' in patch)) return 'doc = json_patch(doc, ?)';
    params.push(bind(patch.expiresAt ?? null));
    return 'doc = json_patch(doc, ?), expires_at = ?';
  }

  async update(id: string, patch: Patch<T>, where: Where = {}): Promise<T | undefined> {
    const params: SQLInputValue[] = [];
    const set = this.#setClause(patch, params);
    params.push(id);
    const live = this.#live(params);
    const cond = compileWhere(where, params);
    try {
      return this.#parse(this.#store.statement(
        `UPDATE ${this.#table} SET ${set} WHERE id = ? AND ${live} AND ${cond} RETURNING doc`, 'arrays',
      ).get(...params));
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(`duplicate key in ${this.name}`);
      throw err;
    }
  }

  async claim(where: Where, patch: Patch<T>, options?: Pick<FindOptions, 'orderBy'>): Promise<T | undefined> {
    const params: SQLInputValue[] = [];
    const set = this.#setClause(patch, params);
    const live = this.#live(params);
    const cond = compileWhere(where, params);
    return this.#parse(this.#store.statement(
      `UPDATE ${this.#table} SET ${set} WHERE id = (SELECT id FROM ${this.#table} WHERE ${live} AND ${cond}${compileOrder(options)} LIMIT 1) RETURNING doc`, 'arrays',
    ).get(...params));
  }

  async delete(id: string): Promise<boolean> {
    const { changes } = this.#store.statement(`DELETE FROM ${this.#table} WHERE id = ?`).run(id);
    return Number(changes) > 0;
  }

  async deleteMany(where: Where): Promise<number> {
    const params: SQLInputValue[] = [];
    const cond = compileWhere(where, params);
    const { changes } = this.#store.statement(`DELETE FROM ${this.#table} WHERE ${cond}`).run(...params);
    return Number(changes);
  }
}
