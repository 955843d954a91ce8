// The storage port's contract. Every engine runs this same suite.
import type { TestFn } from 'ava';
import { randomUUID } from 'node:crypto';
import { DuplicateKeyError, gt, lt, ne, oneOf, type Doc, type Store } from '../../server/store/index.ts';

interface Item extends Doc {
  kind: string;
  n: number;
  owner?: string | null;
  tags?: string[];
  consumed?: number;
  nested?: { a?: number; b?: number };
}

export interface ContractContext {
  store: Store;
  /** A second, independent connection to the same data (another process would have one). */
  other: Store;
}

export function storeContract(test: TestFn<ContractContext>, engine: string): void {
  const items = (store: Store, name = 'items') => store.collection<Item>({
    name, indexes: [{ field: 'kind' }, { field: 'owner', unique: true }, { field: 'n' }],
  });
  const fresh = () => `c${randomUUID().replace(/-/g, '').slice(0, 12)}`;

  test(`${engine}: put, get, replace and delete by id`, async (t) => {
    const col = items(t.context.store, fresh());
    await col.put({ id: 'a', kind: 'x', n: 1, tags: ['p', 'q'] });
    t.deepEqual(await col.get('a'), { id: 'a', kind: 'x', n: 1, tags: ['p', 'q'] });
    await col.put({ id: 'a', kind: 'y', n: 2 });
    t.deepEqual(await col.get('a'), { id: 'a', kind: 'y', n: 2 });
    t.true(await col.delete('a'));
    t.false(await col.delete('a'));
    t.is(await col.get('a'), undefined);
  });

  test(`${engine}: insert refuses an existing id and a duplicate unique field`, async (t) => {
    const col = items(t.context.store, fresh());
    await t.context.store.migrate();
    t.true(await col.insert({ id: 'a', kind: 'x', n: 1, owner: 'o1' }));
    t.false(await col.insert({ id: 'a', kind: 'z', n: 9 }));
    t.false(await col.insert({ id: 'b', kind: 'x', n: 2, owner: 'o1' }));
    await t.throwsAsync(col.put({ id: 'c', kind: 'x', n: 3, owner: 'o1' }), { instanceOf: DuplicateKeyError });
    t.is((await col.get('a'))!.kind, 'x');
  });

  test(`${engine}: find by field, comparisons, order and limit`, async (t) => {
    const col = items(t.context.store, fresh());
    for (let i = 1; i <= 5; i += 1) await col.put({ id: `i${i}`, kind: i % 2 ? 'odd' : 'even', n: i });
    t.deepEqual((await col.find({ kind: 'odd' }, { orderBy: { field: 'n' } })).map((d) => d.n), [1, 3, 5]);
    t.deepEqual((await col.find({ n: gt(2) }, { orderBy: { field: 'n', direction: 'desc' }, limit: 2 })).map((d) => d.n), [5, 4]);
    t.deepEqual((await col.find({ n: lt(3), kind: ne('odd') })).map((d) => d.n), [2]);
    t.deepEqual((await col.find({ n: oneOf([1, 4, 7]) }, { orderBy: { field: 'n' } })).map((d) => d.n), [1, 4]);
    t.deepEqual(await col.find({ n: oneOf([]) }), []);
    t.is(await col.count({ kind: 'even' }), 2);
    t.is((await col.find({})).length, 5);
    t.deepEqual((await col.find({ owner: null, kind: 'even' })).map((d) => d.n).sort(), [2, 4]);
  });

  test(`${engine}: user values are only ever values, never fields or operators`, async (t) => {
    const col = items(t.context.store, fresh());
    await col.put({ id: 'a', kind: 'x', n: 1 });
    t.deepEqual(await col.find({ kind: "x' OR 1=1 --" }), []);
    await t.throwsAsync(col.find({ kind: { $ne: null } as never }));
    await t.throwsAsync(col.find({ "kind') OR 1=1 --": 'x' }));
  });

  test(`${engine}: conditional update applies only while the condition holds`, async (t) => {
    const col = items(t.context.store, fresh());
    await col.put({ id: 'a', kind: 'x', n: 1, nested: { a: 1 } });
    const updated = await col.update('a', { consumed: 100, nested: { b: 2 } }, { consumed: null });
    t.is(updated?.consumed, 100);
    t.deepEqual(updated?.nested, { a: 1, b: 2 });
    t.is(await col.update('a', { consumed: 200 }, { consumed: null }), undefined);
    t.is((await col.get('a'))!.consumed, 100);
    t.is(await col.update('missing', { n: 2 }), undefined);
    t.is((await col.update('a', { owner: null }))!.owner, undefined);
  });

  test(`${engine}: two parallel conditional updates of one record, on two connections: exactly one wins`, async (t) => {
    const name = fresh();
    const a = items(t.context.store, name);
    const b = items(t.context.other, name);
    for (let round = 0; round < 20; round += 1) {
      await a.put({ id: `r${round}`, kind: 'x', n: 0 });
      const results = await Promise.all([
        a.update(`r${round}`, { consumed: 1 }, { consumed: null }),
        b.update(`r${round}`, { consumed: 2 }, { consumed: null }),
      ]);
      t.is(results.filter(Boolean).length, 1);
    }
  });

  test(`${engine}: parallel puts of one new id, on two connections: none fails, one of them is kept`, async (t) => {
    const name = fresh();
    const a = items(t.context.store, name);
    const b = items(t.context.other, name);
    for (let round = 0; round < 20; round += 1) {
      await Promise.all([a, b, a, b].map((col, n) => col.put({ id: `p${round}`, kind: 'x', n })));
      t.true([0, 1, 2, 3].includes((await a.get(`p${round}`))!.n));
    }
  });

  test(`${engine}: claim hands each document to one caller, in order`, async (t) => {
    const name = fresh();
    const a = items(t.context.store, name);
    const b = items(t.context.other, name);
    for (let i = 0; i < 10; i += 1) await a.put({ id: `j${i}`, kind: 'queued', n: i });
    const claimed: number[] = [];
    await Promise.all([a, b, a, b].map(async (col, w) => {
      for (;;) {
        const doc = await col.claim({ kind: 'queued' }, { kind: 'running', owner: `w${w}-${randomUUID()}` }, { orderBy: { field: 'n' } });
        if (!doc) return;
        claimed.push(doc.n);
      }
    }));
    t.deepEqual(claimed.sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    t.is(await a.count({ kind: 'running' }), 10);
    t.is(await a.claim({ kind: 'queued' }, { kind: 'running' }), undefined);
  });

  test(`${engine}: expired documents are not returned, can be replaced, and are swept`, async (t) => {
    const col = items(t.context.store, fresh());
    const past = Date.now() - 1000;
    await col.put({ id: 'old', kind: 'x', n: 1, expiresAt: past });
    await col.put({ id: 'new', kind: 'x', n: 2, expiresAt: Date.now() + 60_000 });
    await col.put({ id: 'forever', kind: 'x', n: 3 });
    t.is(await col.get('old'), undefined);
    t.deepEqual((await col.find({ kind: 'x' }, { orderBy: { field: 'n' } })).map((d) => d.id), ['new', 'forever']);
    t.is(await col.count({ kind: 'x' }), 2);
    t.is(await col.update('old', { n: 5 }), undefined);
    t.is(await col.claim({ n: 1 }, { n: 5 }), undefined);
    t.true(await t.context.store.sweep() >= 1);
    t.true(await col.insert({ id: 'old', kind: 'x', n: 4 }));
    t.is((await col.get('old'))!.n, 4);
  });

  test(`${engine}: deleteMany removes every match and nothing else`, async (t) => {
    const col = items(t.context.store, fresh());
    for (let i = 0; i < 6; i += 1) await col.put({ id: `d${i}`, kind: i < 4 ? 'grant-1' : 'grant-2', n: i });
    t.is(await col.deleteMany({ kind: 'grant-1' }), 4);
    t.deepEqual((await col.find({})).map((d) => d.kind), ['grant-2', 'grant-2']);
  });
}
