// Random secrets every process must share (cookie keys, DPoP nonce secret): made once, kept in the store.
import { randomBytes } from 'node:crypto';
import type { Doc, Store } from './port.ts';

interface Secret extends Doc {
  value: string;
}

/** Reads a document of the `meta` collection, creating it when absent; the first process to insert wins any race. */
export async function getOrCreateMeta<T extends Doc>(store: Store, id: string, create: () => Promise<T>): Promise<T> {
  const meta = store.collection<T>({ name: 'meta' });
  const existing = await meta.get(id);
  if (existing) return existing;
  await meta.insert(await create());
  return (await meta.get(id))!;
}

export async function sharedSecret(store: Store, name: string, bytes = 32): Promise<Buffer> {
  const doc = await getOrCreateMeta<Secret>(store, `secret:${name}`, async () => ({ id: `secret:${name}`, value: randomBytes(bytes).toString('base64url') }));
  return Buffer.from(doc.value, 'base64url');
}
