// Local accounts: username + password, hashed with Argon2id (@node-rs/argon2).
import { randomUUID } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { InputError, validator, type MessageKey } from '../http/index.ts';
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

/** What an email address must look like, in accounts and in what creates them. */
export const EMAIL_SCHEMA = { type: 'string', pattern: EMAIL.source, maxLength: MAX_EMAIL, description: `An address like name@example.com, at most ${MAX_EMAIL} characters` };

const PASSWORD_SCHEMA = { type: 'string', minLength: MIN_PASSWORD, maxLength: MAX_PASSWORD };
const NAME_SCHEMA = { type: 'string', minLength: 1, maxLength: MAX_NAME };

/** What creates or changes an account: the admin API's schema, and what `upsert` checks. */
export const ACCOUNT_INPUT = {
  type: 'object', required: ['username', 'password'],
  description: 'The email address is given to apps with the `email` scope, as not verified',
  properties: {
    username: { type: 'string', description: '1-64 lowercase letters, digits, "_", "." or "-" (trimmed and lowercased)' },
    password: PASSWORD_SCHEMA,
    name: { type: 'string' },
    email: EMAIL_SCHEMA,
  },
};
const checkAccountInput = validator<{ username: string; password: string; name?: string; email?: string }>(ACCOUNT_INPUT);

// What a person types into the sign-up, profile and password forms. A bad field's code names it, so that the page
// can say what to fix in the reader's language.
const FIELD_CODES = { username: 'invalid_username', password: 'invalid_password', name: 'invalid_name' } as const;
const SIGNUP_INPUT = {
  type: 'object', required: ['username', 'password'],
  properties: { username: { type: 'string', pattern: USERNAME.source }, password: PASSWORD_SCHEMA, name: { type: 'string', maxLength: MAX_NAME } },
};
type SignupInput = { username: string; password: string; name?: string };
/** Checks a sign-up form (username already trimmed and lowercased), before anything is spent on it (an invitation). */
export const checkSignup = validator<SignupInput>(SIGNUP_INPUT, { code: FIELD_CODES });
export const checkNewPassword = validator<string>(PASSWORD_SCHEMA, { code: FIELD_CODES.password });
const checkName = validator<string>(NAME_SCHEMA, { code: FIELD_CODES.name });
const FIELD_MESSAGES: Record<string, MessageKey> = { invalid_username: 'signup.bad_username', invalid_password: 'signup.bad_password', invalid_name: 'profile.bad_name' };

/** The words for a form field those checks rejected; undefined for any other error. */
export function fieldMessage(err: unknown): MessageKey | undefined {
  return err instanceof InputError && err.code ? FIELD_MESSAGES[err.code] : undefined;
}

type AccountInput = { username: unknown; password: unknown; name?: unknown; email?: unknown };

export const PASSWORD_LENGTH = { min: MIN_PASSWORD, max: MAX_PASSWORD };

export function normalizeUsername(username: unknown): string | undefined {
  if (typeof username !== 'string') return undefined;
  const u = username.trim().toLowerCase();
  return USERNAME.test(u) ? u : undefined;
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
  async upsert(given: AccountInput): Promise<{ account: Account; created: boolean }> {
    const { password, email, ...input } = checkAccountInput(given);
    const username = normalizeUsername(input.username);
    if (!username) throw new InputError('username must be 1-64 characters: letters, digits, "_", "." or "-"');
    const name = input.name?.trim() ? input.name.trim().slice(0, 200) : username;
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
    if (!await this.#docs.insert(account)) return this.upsert(given);
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
  async register(given: SignupInput): Promise<Account | undefined> {
    const { username, password, name: givenName } = checkSignup(given);
    const passwordHash = await hash(password);
    const name = givenName?.trim() || username;
    const now = Date.now();
    const account: Account = { id: randomUUID(), username, name, passwordHash, createdAt: now, updatedAt: now };
    return await this.#docs.insert(account) ? account : undefined;
  }

  async updateProfile(sub: string, profile: { name: string; locale?: string }): Promise<Account | undefined> {
    const name = checkName(profile.name.trim());
    return this.#docs.update(sub, { name, locale: profile.locale ?? null, updatedAt: Date.now() });
  }

  async setLocale(sub: string, locale: string): Promise<void> {
    await this.#docs.update(sub, { locale });
  }

  async setPassword(sub: string, password: string): Promise<void> {
    await this.#docs.update(sub, { passwordHash: await hash(checkNewPassword(password)) });
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
