// Opened client secrets are kept per process by their sealed text: a secret changed, or a client removed, by another
// process on the same store takes effect at once here too.
import test from 'ava';
import { rm } from 'node:fs/promises';
import { startServer } from '../helpers/harness.ts';
import { tokenRequest } from '../helpers/oauth.ts';
import { SERVICE } from '../helpers/fixtures.ts';

test('another process changes a client secret, then removes the client: neither old secret nor removed client is accepted', async (t) => {
  const a = await startServer();
  const b = await startServer({ storeOf: a });
  t.teardown(async () => { await b.stop(); await a.stop(); await rm(a.dataDir, { recursive: true, force: true }); });
  const credentials = (secret: string) => ({ grant_type: 'client_credentials', client_id: SERVICE.client_id, client_secret: secret });
  await a.plaza.admin.seed({ clients: [SERVICE] });
  t.is((await tokenRequest(b, credentials(SERVICE.client_secret))).status, 200, 'b opened the secret once');
  t.is((await tokenRequest(b, credentials(SERVICE.client_secret))).status, 200);

  const changed = 'service-secret-changed-0123456789-0123';
  await a.plaza.admin.seed({ clients: [{ ...SERVICE, client_secret: changed }] });
  const old = await tokenRequest(b, credentials(SERVICE.client_secret));
  t.is(old.status, 401);
  t.is(old.body.error, 'invalid_client');
  t.is((await tokenRequest(b, credentials(changed))).status, 200);

  t.true(await a.plaza.admin.removeClient(SERVICE.client_id));
  t.is((await tokenRequest(b, credentials(changed))).status, 401);
});
