// Secrets every process must share (signing and encryption keys, cookie keys, the DPoP nonce secret): made once,
// kept in the store's `meta` collection sealed under the key-encryption key, like client secrets.
import { randomBytes } from 'node:crypto';
import type { CollectionSpec, Doc, Store } from './port.ts';
import type { SecretBox } from './secret_box.ts';

/** `sealed` holds the value as sealed JSON; a document an older Plaza wrote holds the value's fields in the clear. */
interface SealedDoc extends Doc {
  sealed?: string;
  version?: number;
  [field: string]: unknown;
}

const OWN_FIELDS = new Set(['id', 'expiresAt', 'sealed', 'version']);
const ATTEMPTS = 5;

/** Where keys and shared secrets are kept, sealed. */
export const SEALED_META: CollectionSpec = { name: 'meta' };

const metaOf = (store: Store) => store.collection<SealedDoc>(SEALED_META);

function opened<T>(doc: SealedDoc, box: SecretBox): T {
  if (typeof doc.sealed === 'string') return JSON.parse(box.unseal(doc.sealed)) as T;
  return Object.fromEntries(Object.entries(doc).filter(([field]) => !OWN_FIELDS.has(field))) as T;
}

/** Writes the value sealed under the newest key, removing any field in the clear, if the document is still as read. */
async function write<T>(store: Store, box: SecretBox, doc: SealedDoc, value: T): Promise<boolean> {
  const clear = Object.fromEntries(Object.keys(doc).filter((field) => !OWN_FIELDS.has(field)).map((field) => [field, null]));
  const patch = { ...clear, sealed: box.seal(JSON.stringify(value)), version: (doc.version ?? 0) + 1 };
  return (await metaOf(store).update(doc.id, patch, { version: doc.version ?? null })) !== undefined;
}

/**
 * Changes a sealed meta document (creating it when `current` is undefined), retrying when another process changed
 * it meanwhile; returns the value now stored.
 */
export async function changeSealedMeta<T>(store: Store, box: SecretBox, id: string, change: (current: T | undefined) => Promise<T>): Promise<T> {
  const meta = metaOf(store);
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const doc = await meta.get(id);
    if (!doc) {
      const value = await change(undefined);
      if (await meta.insert({ id, sealed: box.seal(JSON.stringify(value)), version: 1 })) return value;
      continue;
    }
    const value = await change(opened<T>(doc, box));
    if (await write(store, box, doc, value)) return value;
  }
  throw new Error(`${id} kept changing under concurrent writers`);
}

/** Reads a sealed meta document, creating it when absent; one stored in the clear by an older Plaza is sealed now. */
export async function sealedMeta<T>(store: Store, box: SecretBox, id: string, create: () => Promise<T>): Promise<T> {
  const doc = await metaOf(store).get(id);
  if (!doc) return changeSealedMeta<T>(store, box, id, async (current) => current ?? create());
  const value = opened<T>(doc, box);
  // Losing this race is harmless: whoever won sealed the same value.
  if (typeof doc.sealed !== 'string') await write(store, box, doc, value);
  return value;
}

/** Seals every sealed meta document again under the newest key; returns how many it rewrote. */
export async function resealMeta(store: Store, box: SecretBox): Promise<number> {
  let count = 0;
  for (const doc of await metaOf(store).find({})) {
    if (typeof doc.sealed === 'string' && await write(store, box, doc, opened(doc, box))) count += 1;
  }
  return count;
}

export async function sharedSecret(store: Store, box: SecretBox, name: string, bytes = 32): Promise<Buffer> {
  const secret = await sealedMeta(store, box, `secret:${name}`, async () => ({ value: randomBytes(bytes).toString('base64url') }));
  return Buffer.from(secret.value, 'base64url');
}
