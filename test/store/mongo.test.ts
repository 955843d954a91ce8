// The same port contract, on the MongoDB engine. Runs when the Mongo leg of `npm test` provides a server
// (PLAZA_TEST_MONGODB_URI); otherwise it says why it was skipped.
import anyTest, { type TestFn } from 'ava';
import { randomUUID } from 'node:crypto';
import { MongoStore } from '../../server/store/mongo/index.ts';
import { storeContract, type ContractContext } from './contract.ts';
import { mongoTestUri } from '../helpers/harness.ts';

const test = anyTest as TestFn<ContractContext>;
const base = process.env.PLAZA_TEST_MONGODB_URI;

if (!base) {
  test('mongo: skipped, no test server (PLAZA_TEST_MONGODB_URI is not set)', (t) => { t.pass(); });
} else {
  const uri = mongoTestUri(base, `contract_${randomUUID().slice(0, 8)}`);
  test.before(async (t) => {
    t.context = {
      store: await MongoStore.connect({ uri }),
      other: await MongoStore.connect({ uri }),
    };
  });
  test.after.always(async (t) => {
    await (t.context.store as MongoStore).dropDatabase();
    await t.context.store.close();
    await t.context.other.close();
  });
  storeContract(test, 'mongo');
}
