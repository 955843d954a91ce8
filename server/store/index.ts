import { join } from 'node:path';
import { SqliteStore } from './sqlite/index.ts';
import type { Store } from './port.ts';

export * from './port.ts';
export { SecretBox, SecretKeyError } from './secret_box.ts';
export { changeSealedMeta, resealMeta, SEALED_META, sealedMeta, sharedSecret } from './shared_secret.ts';
export { WindowCounters, secondsLeft } from './window_counter.ts';
export { SharedCounters } from './shared_counters.ts';
export { sha256url } from './digest.ts';

export interface StoreConfig {
  dataDir: string;
  sqliteSynchronous: 'NORMAL' | 'FULL';
  mongodbUri: string | undefined;
  mongodbPoolSize: number;
  mongodbTimeoutMs: number;
  production: boolean;
}

/** MongoDB when MONGODB_URI is set, otherwise the embedded SQLite file in DATA_DIR. */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.mongodbUri) {
    // Loaded only for MongoDB: the driver alone takes some 40 MB of every SQLite process's memory.
    const { MongoStore } = await import('./mongo/index.ts');
    return MongoStore.connect({
      uri: config.mongodbUri, maxPoolSize: config.mongodbPoolSize, serverSelectionTimeoutMs: config.mongodbTimeoutMs,
    });
  }
  return new SqliteStore({ file: join(config.dataDir, 'plaza.sqlite'), synchronous: config.sqliteSynchronous });
}

/** Removes expired documents in the background; reads already hide them, this only reclaims space. */
export function startSweeper(store: Store, intervalMs: number, onError: (err: unknown) => void): () => void {
  const timer = setInterval(() => { store.sweep().catch(onError); }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
