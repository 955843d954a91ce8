// Run as a separate process by sqlite.test.ts: claims queue documents until none are left, prints what it got.
import { SqliteStore } from '../../server/store/sqlite/index.ts';

const store = new SqliteStore({ file: process.argv[2] });
const queue = store.collection<{ id: string; state: string; n: number }>({ name: 'queue' });
// Every worker starts at the same moment, so they really contend.
await new Promise((r) => setTimeout(r, Math.max(0, Number(process.argv[3]) - Date.now())));
const got: number[] = [];
for (let i = 0; i < 5000; i += 1) {
  const doc = await queue.claim({ state: 'queued' }, { state: `claimed-by-${process.pid}` }, { orderBy: { field: 'n' } });
  if (!doc) break;
  got.push(doc.n);
  // A real worker does the job between claims; without this pause one process would win every race.
  await new Promise((r) => setTimeout(r, 1));
}
await store.close();
process.stdout.write(JSON.stringify(got));
