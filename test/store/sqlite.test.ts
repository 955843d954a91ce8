import anyTest, { type TestFn } from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SqliteStore } from '../../server/store/sqlite/index.ts';
import { twoConnections, type TwoConnections } from '../helpers/stores.ts';
import { storeContract, type ContractContext } from './contract.ts';

const test = anyTest as TestFn<TwoConnections>;

test.before(async (t) => { t.context = await twoConnections(); });
test.after.always(async (t) => { await t.context.close(); });

storeContract(test as unknown as TestFn<ContractContext>, 'sqlite');

test('sqlite: four processes claiming one queue never claim a document twice', async (t) => {
  const file = join(t.context.dir, 'shared.sqlite');
  const queue = new SqliteStore({ file }).collection<{ id: string; state: string; n: number }>({ name: 'queue' });
  for (let i = 0; i < 400; i += 1) await queue.put({ id: `q${i}`, state: 'queued', n: i });
  const worker = join(import.meta.dirname, 'claim_worker.ts');
  const startAt = String(Date.now() + 1500);
  const runs = await Promise.all([1, 2, 3, 4].map(() => promisify(execFile)(process.execPath, ['--disable-warning=ExperimentalWarning', worker, file, startAt])));
  const claimed = runs.flatMap((r) => JSON.parse(r.stdout) as number[]);
  t.is(claimed.length, 400);
  t.is(new Set(claimed).size, 400);
  t.true(runs.filter((r) => JSON.parse(r.stdout).length > 0).length >= 2, 'the work was shared between processes');
});

test('sqlite: WAL journal, synchronous NORMAL by default and FULL when configured (see README, SQLITE_SYNCHRONOUS)', async (t) => {
  const pragma = (store: SqliteStore, name: string) => Object.values(store.statement(`PRAGMA ${name}`).get()!)[0];
  t.is(pragma(t.context.store, 'journal_mode'), 'wal');
  t.is(pragma(t.context.store, 'synchronous'), 1, 'NORMAL');
  const full = new SqliteStore({ file: join(t.context.dir, 'full.sqlite'), synchronous: 'FULL' });
  t.teardown(() => full.close());
  t.is(pragma(full, 'journal_mode'), 'wal');
  t.is(pragma(full, 'synchronous'), 2, 'FULL');
});
