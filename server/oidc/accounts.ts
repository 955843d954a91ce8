// Local accounts: username + password, hashed with Argon2id (@node-rs/argon2).
import { randomUUID } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { InputError } from '../http/index.ts';
import type { Doc, Store } from '../store/index.ts';

export interface Account extends Doc {
  username: string;
  name: string;
  /** Null for accounts created from an external identity: they cannot sign in with a password until one is set. */
  passwordHash: string | null;
  /** Not verified: nothing verifies an address yet, so `email_verified` is false. */
  email?: string;
  createdAt: number;
  /** When the profile (name, email) last changed; absent on accounts stored before Plaza kept it. */
  updatedAt?: number;
  /** The language the user chose for Plaza's pages; absent: as their browser asks. */
  locale?: string;
}

export interface AccountView {
  sub: string;
  username: string;
  name: string;
  email?: string;
  created_at: string;
}

const USERNAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;
const MAX_EMAIL = 254;
const MAX_NAME = 200;
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;

/** What an email address must look like: the admin API's schema and the check below share it. */
export const EMAIL_SCHEMA = { type: 'string', pattern: EMAIL.source, maxLength: MAX_EMAIL };

type AccountInput = { username: unknown; password: unknown; name?: unknown; email?: unknown };

export const PASSWORD_LENGTH = { min: MIN_PASSWORD, max: MAX_PASSWORD };

export function normalizeUsername(username: unknown): string | undefined {
  if (typeof username !== 'string') return undefined;
  const u = username.trim().toLowerCase();
  return USERNAME.test(u) ? u : undefined;
}

function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw new InputError(`password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`);
  }
  return password;
}

function checkEmail(email: unknown): string | undefined {
  if (email === undefined || email === null) return undefined;
  const e = typeof email === 'string' ? email.trim() : '';
  if (e.length > MAX_EMAIL || !EMAIL.test(e)) throw new InputError(`email must be an address like name@example.com, at most ${MAX_EMAIL} characters`);
  return e;
}

export function viewAccount(account: Account): AccountView {
  return {
    sub: account.id, username: account.username, name: account.name,
    ...(account.email ? { email: account.email } : {}), created_at: new Date(account.createdAt).toISOString(),
  };
}

export class Accounts {
  readonly #docs;
  // Verifying against a real hash when the user is unknown keeps the response time from revealing which usernames exist.
  readonly #decoy: Promise<string>;

  constructor(store: Store) {
    this.#docs = store.collection<Account>({ name: 'accounts', indexes: [{ field: 'username', unique: true }] });
    this.#decoy = hash(randomUUID());
  }

  async find(sub: string): Promise<Account | undefined> {
    return this.#docs.get(sub);
  }

  async findByUsername(username: string): Promise<Account | undefined> {
    const u = normalizeUsername(username);
    if (!u) return undefined;
    const [account] = await this.#docs.find({ username: u }, { limit: 1 });
    return account;
  }

  /** Creates the account, or (for idempotent seeding) updates name, email and password of an existing one. */
  async upsert(input: AccountInput): Promise<{ account: Account; created: boolean }> {
    const username = normalizeUsername(input.username);
    if (!username) throw new InputError('username must be 1-64 characters: letters, digits, "_", "." or "-"');
    const password = checkPassword(input.password);
    const email = checkEmail(input.email);
    const name = typeof input.name === 'string' && input.name.trim() ? input.name.trim().slice(0, 200) : username;
    const passwordHash = await hash(password);
    const existing = await this.findByUsername(username);
    if (existing) {
      const changed = existing.name !== name || existing.email !== email;
      const patch = { name, email: email ?? null, passwordHash, ...(changed ? { updatedAt: Date.now() } : {}) };
      const account = (await this.#docs.update(existing.id, patch))!;
      return { account, created: false };
    }
    const now = Date.now();
    const account: Account = { id: randomUUID(), username, name, ...(email ? { email } : {}), passwordHash, createdAt: now, updatedAt: now };
    if (!await this.#docs.insert(account)) return this.upsert(input);
    return { account, created: true };
  }

  async create(input: AccountInput): Promise<Account> {
    const username = normalizeUsername(input.username);
    if (username && await this.findByUsername(username)) throw new InputError(`user ${username} already exists`);
    return (await this.upsert(input)).account;
  }

  /** An account for someone who first arrived through another platform (just-in-time), without a password. */
  async createExternal(input: { name?: unknown; usernamePrefix: string }): Promise<Account> {
    const prefix = normalizeUsername(input.usernamePrefix) ?? 'user';
    const username = `${prefix.slice(0, 40)}-${randomUUID().slice(0, 8)}`;
    const name = typeof input.name === 'string' && input.name.trim() ? input.name.trim().slice(0, 200) : username;
    const now = Date.now();
    const account: Account = { id: randomUUID(), username, name, passwordHash: null, createdAt: now, updatedAt: now };
    await this.#docs.put(account);
    return account;
  }

  /** Creates an account someone signed up for; undefined when the username is taken (never touches an existing one). */
  async register(input: { username: string; password: string; name: string }): Promise<Account | undefined> {
    const username = normalizeUsername(input.username);
    if (!username) throw new InputError('username must be 1-64 characters: letters, digits, "_", "." or "-"');
    const passwordHash = await hash(checkPassword(input.password));
    const name = input.name.trim().slice(0, MAX_NAME) || username;
    const now = Date.now();
    const account: Account = { id: randomUUID(), username, name, passwordHash, createdAt: now, updatedAt: now };
    return await this.#docs.insert(account) ? account : undefined;
  }

  async updateProfile(sub: string, profile: { name: string; locale?: string }): Promise<Account | undefined> {
    const name = profile.name.trim();
    if (!name || name.length > MAX_NAME) throw new InputError(`name must be 1 to ${MAX_NAME} characters`);
    return this.#docs.update(sub, { name, locale: profile.locale ?? null, updatedAt: Date.now() });
  }

  async setLocale(sub: string, locale: string): Promise<void> {
    await this.#docs.update(sub, { locale });
  }

  async setPassword(sub: string, password: string): Promise<void> {
    await this.#docs.update(sub, { passwordHash: await hash(checkPassword(password)) });
  }

  /** Whether this is the account's password (re-authentication before a sensitive change). */
  async checkPassword(account: Account, password: string): Promise<boolean> {
    return account.passwordHash !== null && password.length <= MAX_PASSWORD && verify(account.passwordHash, password);
  }

  async remove(sub: string): Promise<void> {
    await this.#docs.delete(sub);
  }

  async authenticate(username: unknown, password: unknown): Promise<Account | undefined> {
    const account = typeof username === 'string' ? await this.findByUsername(username) : undefined;
    const pw = typeof password === 'string' && password.length <= MAX_PASSWORD ? password : '';
    const ok = await verify(account?.passwordHash ?? await this.#decoy, pw);
    return account?.passwordHash && ok ? account : undefined;
  }

  async list(): Promise<Account[]> {
    return this.#docs.find({}, { orderBy: { field: 'username' } });
  }
}
