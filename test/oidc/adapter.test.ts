// The oidc-provider adapter on the storage port, tested directly.
import anyTest, { type TestFn } from 'ava';
import { errors } from 'oidc-provider';
import { createAdapter, modelCollection, MODELS } from '../../server/oidc/adapter.ts';
import type { CollectionSpec } from '../../server/store/index.ts';
import { twoConnections, type TwoConnections } from '../helpers/stores.ts';

const test = anyTest as TestFn<TwoConnections>;

test.before(async (t) => { t.context = await twoConnections(); });
test.after.always(async (t) => { await t.context.close(); });

test('every one of the 15 models stores, finds and destroys its payloads', async (t) => {
  const Adapter = createAdapter(t.context.store);
  t.is(MODELS.length, 15);
  for (const model of MODELS) {
    const adapter = new Adapter(model);
    await adapter.upsert(`${model}-1`, { jti: `${model}-1`, kind: model }, 60);
    t.like(await adapter.find(`${model}-1`), { jti: `${model}-1`, kind: model }, model);
    await adapter.destroy(`${model}-1`);
    t.is(await adapter.find(`${model}-1`), undefined, model);
  }
});

test('findByUid and findByUserCode', async (t) => {
  const Adapter = createAdapter(t.context.store);
  await new Adapter('Session').upsert('s1', { uid: 'uid-1', accountId: 'a' }, 60);
  await new Adapter('DeviceCode').upsert('d1', { userCode: 'ABCD-EFGH', grantId: 'g' }, 60);
  t.like(await new Adapter('Session').findByUid('uid-1'), { accountId: 'a' });
  t.like(await new Adapter('DeviceCode').findByUserCode('ABCD-EFGH'), { grantId: 'g' });
  t.is(await new Adapter('Session').findByUid('nope'), undefined);
});

test('expiry is honoured on read', async (t) => {
  const Adapter = createAdapter(t.context.store);
  const codes = new Adapter('AuthorizationCode');
  await codes.upsert('short', { grantId: 'g' }, 1);
  t.truthy(await codes.find('short'));
  await new Promise((r) => setTimeout(r, 1100));
  t.is(await codes.find('short'), undefined);
});

test('consume: of two processes that both read an unconsumed code, one consumes and the other gets InvalidGrant', async (t) => {
  const A = new (createAdapter(t.context.store))('AuthorizationCode');
  const B = new (createAdapter(t.context.other))('AuthorizationCode');
  await A.upsert('race', { grantId: 'g-race' }, 60);
  t.falsy((await A.find('race'))!.consumed);
  t.falsy((await B.find('race'))!.consumed);
  const results = await Promise.allSettled([A.consume('race'), B.consume('race')]);
  t.is(results.filter((r) => r.status === 'fulfilled').length, 1);
  const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  t.true(rejected.reason instanceof errors.InvalidGrant);
  t.truthy((await A.find('race'))!.consumed);
});

test('consume of a pushed request that was already used is an invalid request_uri', async (t) => {
  const Pars = new (createAdapter(t.context.store))('PushedAuthorizationRequest');
  await Pars.upsert('par', { clientId: 'c' }, 60);
  await Pars.consume('par');
  await t.throwsAsync(Pars.consume('par'), { instanceOf: errors.InvalidRequestUri });
});

test('revokeByGrantId removes every token of the grant and nothing else', async (t) => {
  const Adapter = createAdapter(t.context.store);
  for (const model of ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']) {
    const adapter = new Adapter(model);
    await adapter.upsert(`${model}-g1`, { grantId: 'g1' }, 60);
    await adapter.upsert(`${model}-g2`, { grantId: 'g2' }, 60);
    await adapter.revokeByGrantId('g1');
    t.is(await adapter.find(`${model}-g1`), undefined, model);
    t.truthy(await adapter.find(`${model}-g2`), model);
  }
});

test('clients are indexed by their owner, for a developer\'s list of apps', (t) => {
  const specs: CollectionSpec[] = [];
  const recording = new Proxy(t.context.store, {
    get: (target, prop) => (prop === 'collection' ? (spec: CollectionSpec) => { specs.push(spec); return target.collection(spec); } : Reflect.get(target, prop, target)),
  });
  modelCollection(recording, 'Client');
  t.deepEqual(specs[0]?.indexes, [{ field: 'payload.standing.owner' }]);
});
