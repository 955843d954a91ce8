// Signing and encryption keys live in the store so every process shares them, sealed under the key-encryption key.
// The newest key of each kind stands first: oidc-provider signs with the first key that fits.
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { changeSealedMeta, sealedMeta, type SecretBox, type Store } from '../store/index.ts';

interface KeySet {
  keys: JWK[];
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

export async function loadKeys(store: Store, box: SecretBox): Promise<JWK[]> {
  return (await sealedMeta<KeySet>(store, box, KEY_SET_ID, async () => ({ keys: await generateKeys() }))).keys;
}

/** Cookie signing keys: from the environment when given, otherwise generated once and kept in the store. */
export async function loadCookieKeys(store: Store, box: SecretBox, configured: string[] | undefined): Promise<string[]> {
  if (configured?.length) return configured;
  return (await sealedMeta(store, box, 'cookie-keys', async () => ({ keys: [randomBytes(32).toString('base64url')] }))).keys;
}

/** Puts a new key of each kind in front and keeps the older ones (up to a few per kind) for verification and decryption. */
export async function rotateKeys(store: Store, box: SecretBox): Promise<{ added: string[]; kept: string[] }> {
  const fresh = await generateKeys();
  let kept: JWK[] = [];
  await changeSealedMeta<KeySet>(store, box, KEY_SET_ID, async (current) => {
    const perKind = new Map<string, number>(fresh.map((k) => [k.alg!, 1]));
    kept = (current?.keys ?? []).filter((k) => {
      const n = (perKind.get(k.alg!) ?? 0) + 1;
      perKind.set(k.alg!, n);
      return n <= KEPT_PER_KIND;
    });
    return { keys: [...fresh, ...kept] };
  });
  return { added: fresh.map((k) => k.kid!), kept: kept.map((k) => k.kid!) };
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];

export function publicJwks(keys: JWK[], use: 'sig' | 'enc'): JWK[] {
  return keys.filter((k) => k.use === use).map((k) => Object.fromEntries(Object.entries(k).filter(([name]) => !PRIVATE_MEMBERS.includes(name))));
}
