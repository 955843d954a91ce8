import { join } from 'node:path';
import { SqliteStore } from './sqlite/index.ts';
import type { Store } from './port.ts';

export * from './port.ts';
export { SecretBox, SecretKeyError } from './secret_box.ts';
export { getOrCreateMeta, sharedSecret } from './shared_secret.ts';

export interface StoreConfig {
  dataDir: string;
  sqliteSynchronous: 'NORMAL' | 'FULL';
}

export async function openStore(config: StoreConfig): Promise<Store> {
  return new SqliteStore({ file: join(config.dataDir, 'plaza.sqlite'), synchronous: config.sqliteSynchronous });
}

/** Removes expired documents in the background; reads already hide them, this only reclaims space. */
export function startSweeper(store: Store, intervalMs: number, onError: (err: unknown) => void): () => void {
  const timer = setInterval(() => { store.sweep().catch(onError); }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
