// Opened client secrets are kept per process by their sealed text, and a client's metadata per oidc-provider Client
// (built anew from each changed document): a secret changed, a mark taken away, or a client removed, by another process
// on the same store takes effect at once here too.
import test from 'ava';
import { rm } from 'node:fs/promises';
import { decodeJwt } from 'jose';
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

test('another process takes a client\'s first-party mark away: its next token gets no first-party scope', async (t) => {
  const a = await startServer();
  const b = await startServer({ storeOf: a });
  t.teardown(async () => { await b.stop(); await a.stop(); await rm(a.dataDir, { recursive: true, force: true }); });
  const service = { ...SERVICE, scope: 'groups:read groups:apps' };
  const request = { grant_type: 'client_credentials', client_id: SERVICE.client_id, client_secret: SERVICE.client_secret, scope: 'groups:apps' };
  await a.plaza.admin.seed({ clients: [{ ...service, plaza_first_party: true }] });
  for (let i = 0; i < 2; i += 1) {
    const res = await tokenRequest(b, request);
    t.is(res.status, 200);
    t.is(res.body.scope, 'groups:apps');
    t.is(decodeJwt(res.body.access_token).scope, 'groups:apps');
  }

  await a.plaza.admin.seed({ clients: [{ ...service, plaza_first_party: false }] });
  const res = await tokenRequest(b, request);
  t.is(res.status, 200);
  t.is(res.body.scope, undefined);
  t.is(decodeJwt(res.body.access_token).scope, undefined);
});
