// Moving a deployment between engines, and two Plaza processes on one store.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { runAdmin } from '../helpers/admin_cli.ts';
import { mongoTestUri, startServer } from '../helpers/harness.ts';
import { codeFor, redeemCode, seedBasics, SERVICE, WEB } from '../helpers/fixtures.ts';
import { tokenRequest } from '../helpers/oauth.ts';

const mongoBase = process.env.PLAZA_TEST_MONGODB_URI;

if (!mongoBase) {
  test('export from SQLite, import into MongoDB: skipped, no Mongo test server (PLAZA_TEST_MONGODB_URI is not set)', (t) => { t.pass(); });
} else {
  test('export from SQLite, import into MongoDB: keys, clients, grants and refresh tokens keep working', async (t) => {
    const sqlite = await startServer({ env: { MONGODB_URI: '' } });
    t.is(sqlite.plaza.store.engine, 'sqlite');
    await seedBasics(sqlite);
    const { code, verifier } = await codeFor(sqlite);
    const tokens = await redeemCode(sqlite, code, verifier);
    const jwks = await (await fetch(`${sqlite.url}/jwks`)).json();
    await sqlite.plaza.close();

    const file = join(sqlite.dataDir, 'export.jsonl');
    const exported = await runAdmin({ DATA_DIR: sqlite.dataDir, MONGODB_URI: '' }, 'db', 'export', file);
    t.is(exported.code, 0, exported.stderr);
    const uri = mongoTestUri(mongoBase, `import_${randomUUID().slice(0, 8)}`);
    const imported = await runAdmin({ DATA_DIR: sqlite.dataDir, MONGODB_URI: uri }, 'db', 'import', file, '--json');
    t.is(imported.code, 0, imported.stderr);
    t.true(JSON.parse(imported.stdout).accounts >= 2);

    const mongo = await startServer({ env: { ...sqlite.env, MONGODB_URI: uri, PORT: sqlite.env.PORT } });
    t.teardown(() => mongo.stop());
    t.is(mongo.plaza.store.engine, 'mongo');
    t.deepEqual(await (await fetch(`${mongo.url}/jwks`)).json(), jwks, 'same keys');
    t.is((await fetch(`${mongo.url}/me`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } })).status, 200, 'same access token');
    const refreshed = await tokenRequest(mongo, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: WEB.client_id, client_secret: WEB.client_secret });
    t.is(refreshed.status, 200, 'same grant and refresh token');
    t.is((await tokenRequest(mongo, { grant_type: 'client_credentials', client_id: SERVICE.client_id, client_secret: SERVICE.client_secret })).status, 200, 'same clients');
  });
}

test('two Plaza processes on one store: a code from one is redeemed at the other, a revocation at one is seen at the other', async (t) => {
  const a = await startServer();
  t.teardown(() => a.stop());
  const b = await startServer({ storeOf: a, env: { ISSUER: a.url } });
  t.teardown(() => b.plaza.close());
  await seedBasics(a);
  const { code, verifier } = await codeFor(a, WEB, { scope: 'groups:read', resource: `${a.url}/api` });
  const atB = `${b.plaza.url}`;
  const res = await fetch(`${atB}/token`, { method: 'POST', body: new URLSearchParams({
    grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: 'https://app.example/cb', client_id: WEB.client_id, client_secret: WEB.client_secret, resource: `${a.url}/api`,
  }) });
  t.is(res.status, 200);
  const tokens = await res.json() as { access_token: string; refresh_token: string };
  const groupsAt = (base: string) => fetch(`${base}/api/groups`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  t.is((await groupsAt(atB)).status, 200);
  const revoke = await fetch(`${a.url}/token/revocation`, { method: 'POST', body: new URLSearchParams({ token: tokens.refresh_token, client_id: WEB.client_id, client_secret: WEB.client_secret }) });
  t.is(revoke.status, 200);
  t.is((await groupsAt(atB)).status, 401, 'revoked at A, refused at B on the next request');
});
