// Secrets at rest: client secrets, webhook secrets and host app secrets are sealed under the key-encryption key,
// and `admin secrets rotate` moves them to a new key without a client noticing.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runAdmin } from '../helpers/admin_cli.ts';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { tokenRequest } from '../helpers/oauth.ts';
import { SERVICE } from '../helpers/fixtures.ts';
import { openStore, SEALED_META, SecretBox, type Doc } from '../../server/store/index.ts';
import { HOSTS, type HostPlatform } from '../../server/mini_programs/index.ts';
import { modelCollection } from '../../server/oidc/index.ts';
import { loadConfig } from '../../server/config/index.ts';
import { testEnv } from '../helpers/harness.ts';

const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const APP_SECRET = 'host-app-secret-0123456789';
const HOOKED = {
  ...SERVICE, client_id: 'hooked', client_secret: 'hooked-secret-0123456789-0123456',
  callback_uri: 'http://127.0.0.1:9/hooks', webhook_secret: WEBHOOK_SECRET,
};
const HOST = { id: 'wx', kind: 'code2session', url: 'http://127.0.0.1:9/session', app_id: 'wx-app', app_secret: APP_SECRET };

const newKey = () => randomBytes(32).toString('base64');

async function seeded(env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', ...env } });
  await server.plaza.admin.seed({ clients: [HOOKED], hosts: [HOST] });
  return server;
}

const clientToken = (server: TestServer) =>
  tokenRequest(server, { grant_type: 'client_credentials', client_id: HOOKED.client_id, client_secret: HOOKED.client_secret });

async function storedText(server: TestServer): Promise<string> {
  const docs: Doc[] = [];
  for await (const { doc } of server.plaza.store.dump()) docs.push(doc);
  return JSON.stringify(docs);
}

/** The sealed values the store holds for the client and the host. */
async function sealedValues(server: TestServer): Promise<string[]> {
  const client = await modelCollection(server.plaza.store, 'Client').get(HOOKED.client_id);
  const host = await server.plaza.store.collection<HostPlatform>(HOSTS).get(HOST.id);
  const { client_secret_sealed: secret, webhook_secret_sealed: webhookSecret } = client!.payload as Record<string, string>;
  return [secret, webhookSecret, host!.appSecretSealed!];
}

const opens = (key: string, sealed: string) => {
  try {
    return SecretBox.open('/nonexistent', key).unseal(sealed);
  } catch {
    return undefined;
  }
};

test('client, webhook and host secrets are stored sealed, and still work', async (t) => {
  const server = await seeded({ PLAZA_SECRET_KEY: newKey() });
  t.teardown(() => server.stop());
  const stored = await storedText(server);
  for (const secret of [HOOKED.client_secret, WEBHOOK_SECRET, APP_SECRET]) t.false(stored.includes(secret), 'no secret in the clear');
  t.is((await clientToken(server)).status, 200);
  t.is((await server.plaza.oidc.clients.callbackOf(HOOKED.client_id))?.webhookSecret, WEBHOOK_SECRET);
  t.false(JSON.stringify(await server.plaza.admin.listClients()).includes('sealed'), 'sealed values are not listed either');
});

test('rotating PLAZA_SECRET_KEY: new key first, re-seal, drop the old key', async (t) => {
  const [oldKey, nextKey] = [newKey(), newKey()];
  const server = await seeded({ PLAZA_SECRET_KEY: oldKey });
  t.teardown(() => server.stop());
  // The roll-out: every process restarts knowing both keys, the new one first; then the secrets are re-sealed.
  server.env.PLAZA_SECRET_KEY = `${nextKey},${oldKey}`;
  await server.restart();
  t.is((await clientToken(server)).status, 200);

  const withoutOld = await runAdmin({ ...server.env, PLAZA_SECRET_KEY: nextKey }, 'secrets', 'rotate');
  t.is(withoutOld.code, 2, 'a key that opens nothing is refused with a clear message');
  t.regex(withoutOld.stderr, /does not open with any configured secret key/);

  const rotated = await runAdmin({ ...server.env, PLAZA_SECRET_KEY: `${nextKey},${oldKey}` }, 'secrets', 'rotate', '--json');
  t.is(rotated.code, 0, rotated.stderr);
  t.like(JSON.parse(rotated.stdout), { clients: 1, hosts: 1, keys: 4 });

  server.env.PLAZA_SECRET_KEY = nextKey;
  await server.restart();
  t.is((await clientToken(server)).status, 200, 'the client authenticates with the secret it always had');
  t.is((await server.plaza.oidc.clients.callbackOf(HOOKED.client_id))?.webhookSecret, WEBHOOK_SECRET);
  const sealed = await sealedValues(server);
  t.deepEqual(sealed.map((s) => opens(nextKey, s)), [HOOKED.client_secret, WEBHOOK_SECRET, APP_SECRET]);
  t.deepEqual(sealed.map((s) => opens(oldKey, s)), [undefined, undefined, undefined], 'nothing is left under the old key');
});

test('rotating the generated development key while a server runs', async (t) => {
  const server = await seeded();
  t.teardown(() => server.stop());
  const keyFile = join(server.dataDir, 'secret.key');
  const oldKey = (await readFile(keyFile, 'utf8')).trim();
  t.is((await clientToken(server)).status, 200);

  const rotated = await runAdmin(server.env, 'secrets', 'rotate', '--json');
  t.is(rotated.code, 0, rotated.stderr);
  const [nextKey, ...older] = (await readFile(keyFile, 'utf8')).trim().split('\n');
  t.not(nextKey, oldKey);
  t.deepEqual(older, [oldKey]);
  const sealed = await sealedValues(server);
  t.deepEqual(sealed.map((s) => opens(nextKey, s)), [HOOKED.client_secret, WEBHOOK_SECRET, APP_SECRET]);
  t.deepEqual(sealed.map((s) => opens(oldKey, s)), [undefined, undefined, undefined]);

  t.is((await clientToken(server)).status, 200, 'the running server reads the new key from the file when it meets it');
  await server.restart();
  t.is((await clientToken(server)).status, 200);
});

test('client metadata may not set the sealed fields itself', async (t) => {
  const server = await seeded();
  t.teardown(() => server.stop());
  await t.throwsAsync(server.plaza.admin.createClient({ ...SERVICE, client_id: 'forged', client_secret_sealed: 'v1.junk' }), { message: /client_secret_sealed is Plaza's own/ });
  await t.throwsAsync(server.plaza.admin.createClient({ ...HOOKED, client_id: 'forged-hook', webhook_secret_sealed: 'v1.junk' }), { message: /webhook_secret_sealed/ });
});

/** Private key material a store reader could use: JWK private members, the cookie keys, the DPoP nonce secret. */
const PRIVATE_FIELDS = /"(d|p|q|dp|dq|qi)":"/;

test('signing, encryption and cookie keys, the DPoP nonce secret and the pairwise subject secret are stored sealed', async (t) => {
  const server = await seeded({ PLAZA_SECRET_KEY: newKey() });
  t.teardown(() => server.stop());
  const meta = await server.plaza.store.collection<Doc & Record<string, unknown>>(SEALED_META).find({});
  t.deepEqual(meta.map((d) => d.id).sort(), ['cookie-keys', 'jwks', 'secret:dpop-nonce', 'secret:pairwise-subjects']);
  for (const doc of meta) t.deepEqual(Object.keys(doc).filter((k) => !['id', 'sealed', 'version'].includes(k)), [], `${doc.id} holds nothing in the clear`);
  const stored = await storedText(server);
  t.notRegex(stored, PRIVATE_FIELDS);
  for (const key of server.plaza.oidc.decryptionKeys) t.false(stored.includes(key.d!), 'no private key in the store');
  t.is((await clientToken(server)).status, 200, 'and tokens are still signed');
});

test('keys an older Plaza stored in the clear still load, and are sealed on first load', async (t) => {
  const env = await testEnv({ env: { PLAZA_SECRET_KEY: newKey() } });
  const store = await openStore(loadConfig(env));
  const seed = await startServer({ env: { ...env, PLAZA_SECRET_KEY: newKey() } });
  const legacyKeys = seed.plaza.oidc.decryptionKeys;
  await seed.plaza.close();
  const meta = store.collection<Doc & Record<string, unknown>>(SEALED_META);
  for (const doc of await meta.find({})) await meta.delete(doc.id);
  await meta.put({ id: 'jwks', keys: legacyKeys, version: 1 });
  await meta.put({ id: 'cookie-keys', keys: ['a-cookie-key-stored-in-the-clear-0123456789'] });
  await meta.put({ id: 'secret:dpop-nonce', value: 'bm9uY2Utc2VjcmV0LXN0b3JlZC1pbi10aGUtY2xlYXI' });
  await store.close();

  const server = await startServer({ env });
  t.teardown(() => server.stop());
  t.deepEqual(server.plaza.oidc.decryptionKeys.map((k) => k.kid), legacyKeys.map((k) => k.kid), 'the same keys');
  const stored = await storedText(server);
  t.notRegex(stored, PRIVATE_FIELDS);
  t.false(stored.includes('a-cookie-key-stored-in-the-clear') || stored.includes('bm9uY2Utc2VjcmV0'), 'sealed on first load');
  await server.restart();
  t.deepEqual(server.plaza.oidc.decryptionKeys.map((k) => k.kid), legacyKeys.map((k) => k.kid), 'and they load sealed');
});
