import anyTest, { type TestFn } from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rm } from 'node:fs/promises';
import { SqliteStore } from '../../server/store/sqlite/index.ts';
import { tempDir } from '../helpers/harness.ts';
import { storeContract, type ContractContext } from './contract.ts';

const test = anyTest as TestFn<ContractContext & { dir: string }>;

test.before(async (t) => {
  const dir = await tempDir();
  const file = join(dir, 'plaza.sqlite');
  t.context = { dir, store: new SqliteStore({ file }), other: new SqliteStore({ file }) };
});

test.after.always(async (t) => {
  await t.context.store.close();
  await t.context.other.close();
  await rm(t.context.dir, { recursive: true, force: true });
});

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
