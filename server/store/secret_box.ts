// Secrets at rest (client, webhook and host app secrets, Plaza's keys and shared secrets): AES-256-GCM under a
// key-encryption key that never sits in the database itself. The keys come from PLAZA_SECRET_KEY (a comma-separated list, newest first),
// or else from DATA_DIR/secret.key, generated on first use (one key per line, newest first).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const VERSION = 'v1';
/** Opened secrets kept per process, by their sealed text (a client's secret is opened on every token request). */
const OPENED_CACHE_SIZE = 1000;

export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
}

function decodeKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new SecretKeyError('PLAZA_SECRET_KEY must be 32 bytes, as 64 hex digits or base64');
  return key;
}

function decodeKeys(text: string, separator: RegExp): Buffer[] {
  const keys = text.split(separator).map((k) => k.trim()).filter(Boolean).map(decodeKey);
  if (!keys.length) throw new SecretKeyError('no secret key given');
  return keys;
}

function newSecretKey(): string {
  return randomBytes(32).toString('base64');
}

function keyFilePath(dataDir: string): string {
  return join(dataDir, 'secret.key');
}

function readKeyFile(dataDir: string): Buffer[] {
  const file = keyFilePath(dataDir);
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, newSecretKey(), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return decodeKeys(readFileSync(file, 'utf8'), /\n/);
}

export class SecretBox {
  #keys: Buffer[];
  /**
   * Sealed text to plaintext. A sealed text is authenticated and never reused (a fresh IV each time), so it opens to
   * one plaintext only: a changed or rotated secret is a new sealed text and a miss, in every process alike.
   */
  readonly #opened = new Map<string, string>();
  /** Where keys can be read again: a process started before a key-file rotation learns the new key this way. */
  readonly #reload?: () => Buffer[];

  constructor(keys: Buffer[], reload?: () => Buffer[]) {
    this.#keys = keys;
    this.#reload = reload;
  }

  static open(dataDir: string, configured: string | undefined): SecretBox {
    if (configured) return new SecretBox(decodeKeys(configured, /,/));
    return new SecretBox(readKeyFile(dataDir), () => readKeyFile(dataDir));
  }

  /**
   * Development keys: puts a new key first in DATA_DIR/secret.key and keeps every older one after it, since a
   * process started earlier may still have sealed something under one of them.
   */
  static addKeyToFile(dataDir: string): void {
    const keys = [newSecretKey(), ...readKeyFile(dataDir).map((k) => k.toString('base64'))];
    const file = keyFilePath(dataDir);
    const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(temporary, keys.join('\n'), { mode: 0o600 });
    renameSync(temporary, file);
  }

  seal(plaintext: string): string {
    // A key file may have gained a newer key since this process read it: seal under the newest.
    if (this.#reload) this.#keys = this.#reload();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0], iv);
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
  }

  unseal(sealed: string): string {
    const cached = this.#opened.get(sealed);
    if (cached !== undefined) return cached;
    const opened = this.#open(sealed);
    if (this.#opened.size >= OPENED_CACHE_SIZE) this.#opened.delete(this.#opened.keys().next().value!);
    this.#opened.set(sealed, opened);
    return opened;
  }

  #open(sealed: string): string {
    const opened = this.#tryKeys(sealed);
    if (opened !== undefined) return opened;
    if (this.#reload) {
      this.#keys = this.#reload();
      const again = this.#tryKeys(sealed);
      if (again !== undefined) return again;
    }
    throw new SecretKeyError('a sealed secret does not open with any configured secret key');
  }

  /** The same secret sealed under the newest key. */
  reseal(sealed: string): string {
    return this.seal(this.unseal(sealed));
  }

  #tryKeys(sealed: string): string | undefined {
    const [version, data] = sealed.split('.');
    if (version !== VERSION || !data) throw new SecretKeyError('not a sealed secret');
    const raw = Buffer.from(data, 'base64url');
    // GCM authenticates: a wrong key fails instead of giving garbage, so every key can simply be tried.
    for (const key of this.#keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        // not this key: try the next
      }
    }
    return undefined;
  }
}
