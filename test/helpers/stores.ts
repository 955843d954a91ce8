// Two independent connections to one temporary SQLite file, as two processes would have.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SqliteStore } from '../../server/store/sqlite/index.ts';
import { tempDir } from './harness.ts';

export interface TwoConnections {
  dir: string;
  store: SqliteStore;
  other: SqliteStore;
  close(): Promise<void>;
}

export async function twoConnections(): Promise<TwoConnections> {
  const dir = await tempDir();
  const file = join(dir, 'plaza.sqlite');
  const store = new SqliteStore({ file });
  const other = new SqliteStore({ file });
  return {
    dir, store, other,
    async close() {
      await store.close();
      await other.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
