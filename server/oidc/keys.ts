// Signing and encryption keys live in the store so every process shares them.
// The newest key of each kind stands first: oidc-provider signs with the first key that fits.
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { getOrCreateMeta, type Doc, type Store } from '../store/index.ts';

export interface KeySet extends Doc {
  keys: JWK[];
  version: number;
}

const KEY_SET_ID = 'jwks';
const KEPT_PER_KIND = 3;

const KINDS = [
  { alg: 'ES256', use: 'sig', options: {} },
  { alg: 'RS256', use: 'sig', options: { modulusLength: 2048 } },
  { alg: 'RSA-OAEP-256', use: 'enc', options: { modulusLength: 2048 } },
  { alg: 'ECDH-ES', use: 'enc', options: { crv: 'P-256' } },
] as const;

async function generateKey(kind: typeof KINDS[number]): Promise<JWK> {
  const { privateKey } = await generateKeyPair(kind.alg, { ...kind.options, extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: kind.alg, use: kind.use };
}

async function generateKeys(): Promise<JWK[]> {
  return Promise.all(KINDS.map(generateKey));
}

interface CookieKeys extends Doc {
  keys: string[];
}

function metaCollection<T extends Doc>(store: Store) {
  return store.collection<T>({ name: 'meta' });
}

export async function loadKeys(store: Store): Promise<JWK[]> {
  const set = await getOrCreateMeta<KeySet>(store, KEY_SET_ID, async () => ({ id: KEY_SET_ID, keys: await generateKeys(), version: 1 }));
  return set.keys;
}

/** Cookie signing keys: from the environment when given, otherwise generated once and kept in the store. */
export async function loadCookieKeys(store: Store, configured: string[] | undefined): Promise<string[]> {
  if (configured?.length) return configured;
  const doc = await getOrCreateMeta<CookieKeys>(store, 'cookie-keys', async () => ({ id: 'cookie-keys', keys: [randomBytes(32).toString('base64url')] }));
  return doc.keys;
}

/** Puts a new key of each kind in front and keeps the older ones (up to a few per kind) for verification and decryption. */
export async function rotateKeys(store: Store): Promise<{ added: string[]; kept: string[] }> {
  const meta = metaCollection<KeySet>(store);
  const fresh = await generateKeys();
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const current = await meta.get(KEY_SET_ID);
    if (!current) {
      if (await meta.insert({ id: KEY_SET_ID, keys: fresh, version: 1 })) return { added: fresh.map((k) => k.kid!), kept: [] };
      continue;
    }
    const perKind = new Map<string, number>(fresh.map((k) => [k.alg!, 1]));
    const kept = current.keys.filter((k) => {
      const n = (perKind.get(k.alg!) ?? 0) + 1;
      perKind.set(k.alg!, n);
      return n <= KEPT_PER_KIND;
    });
    const updated = await meta.update(KEY_SET_ID, { keys: [...fresh, ...kept], version: current.version + 1 }, { version: current.version });
    if (updated) return { added: fresh.map((k) => k.kid!), kept: kept.map((k) => k.kid!) };
  }
  throw new Error('key rotation kept losing to concurrent rotations');
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];

export function publicJwks(keys: JWK[], use: 'sig' | 'enc'): JWK[] {
  return keys.filter((k) => k.use === use).map((k) => Object.fromEntries(Object.entries(k).filter(([name]) => !PRIVATE_MEMBERS.includes(name))));
}
