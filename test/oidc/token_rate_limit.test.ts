// Per-client rate limits on the token endpoint: 429 with Retry-After once a client used its allowance, counted
// across processes, and only for requests in which the client authenticated.
import anyTest, { type TestFn } from 'ava';
import { request } from 'node:http';
import { TOKEN_REQUESTS } from '../../server/oidc/index.ts';
import { WindowCounters } from '../../server/store/index.ts';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { basicAuth, tokenRequest } from '../helpers/oauth.ts';
import { ADMIN_TOOL, seedBasics, SERVICE, SPA } from '../helpers/fixtures.ts';

const test = anyTest as TestFn<{ server: TestServer }>;
const LIMIT = 3;

test.beforeEach(async (t) => {
  // Every request reads and writes the shared count, unless a test says otherwise.
  t.context.server = await startServer({ env: { TOKEN_RATE_LIMIT: String(LIMIT), TOKEN_RATE_WINDOW: '60', TOKEN_RATE_SYNC_MS: '0' } });
  await seedBasics(t.context.server);
});
test.afterEach.always(async (t) => { await t.context.server.stop(); });

const credentials = (client: { client_id: string; client_secret: string }, secret = client.client_secret) =>
  ({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: secret });

const basic = (client: { client_id: string; client_secret: string }) => ({ authorization: basicAuth(client.client_id, client.client_secret) });

/** A token request as any HTTP client may send it: another spelling of the path, a chunked body, another address. */
function rawTokenRequest(server: TestServer, body: Record<string, string>, options: { path?: string; chunked?: boolean; from?: string; headers?: Record<string, string> } = {}) {
  const text = new URLSearchParams(body).toString();
  return new Promise<{ status: number; body: Record<string, any> }>((resolve, reject) => {
    const req = request(`${server.url}${options.path ?? '/token'}`, {
      method: 'POST', localAddress: options.from,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(options.chunked ? {} : { 'content-length': Buffer.byteLength(text) }), ...options.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.once('error', reject);
    if (options.chunked) {
      req.write(text.slice(0, 10));
      setImmediate(() => req.end(text.slice(10)));
    } else {
      req.end(text);
    }
  });
}

test('a client over its allowance gets 429 with Retry-After; other clients are not affected', async (t) => {
  const { server } = t.context;
  for (let i = 0; i < LIMIT; i += 1) t.is((await tokenRequest(server, credentials(SERVICE))).status, 200);
  const refused = await tokenRequest(server, credentials(SERVICE));
  t.is(refused.status, 429);
  t.is(refused.body.error, 'temporarily_unavailable');
  t.regex(String(refused.body.error_description), /too many token requests/);
  const retryAfter = Number(refused.headers.get('retry-after'));
  t.true(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  t.is(refused.headers.get('cache-control'), 'no-store');

  t.is((await tokenRequest(server, { grant_type: 'client_credentials', scope: 'admin' }, basic(ADMIN_TOOL))).status, 200, 'another client still gets tokens');
  t.deepEqual(server.serverErrors, []);
});

test('clients authenticating with HTTP Basic are counted and limited too', async (t) => {
  const { server } = t.context;
  const request = () => tokenRequest(server, { grant_type: 'client_credentials', scope: 'admin' }, basic(ADMIN_TOOL));
  for (let i = 0; i < LIMIT; i += 1) t.is((await request()).status, 200);
  t.is((await request()).status, 429);
});

test('requests that fail client authentication do not use up the named client\'s allowance', async (t) => {
  const { server } = t.context;
  for (let i = 0; i < LIMIT * 2; i += 1) {
    const res = await tokenRequest(server, credentials(SERVICE, 'not-the-secret-0123456789-0123456'));
    t.is(res.status, 401);
    t.is(res.body.error, 'invalid_client');
  }
  t.is((await tokenRequest(server, credentials(SERVICE))).status, 200);
});

test('every process on one store counts against the same allowance', async (t) => {
  const { server } = t.context;
  const second = await startServer({ storeOf: server, env: { TOKEN_RATE_LIMIT: String(LIMIT), TOKEN_RATE_WINDOW: '60', TOKEN_RATE_SYNC_MS: '0' } });
  t.teardown(() => second.plaza.close());
  for (let i = 0; i < LIMIT; i += 1) t.is((await tokenRequest(i % 2 ? second : server, credentials(SERVICE))).status, 200);
  t.is((await tokenRequest(second, credentials(SERVICE))).status, 429);
});

test('another spelling of the token path and a chunked body are counted and limited the same', async (t) => {
  const { server } = t.context;
  t.is((await rawTokenRequest(server, credentials(SERVICE), { path: '/TOKEN' })).status, 200);
  t.is((await rawTokenRequest(server, credentials(SERVICE), { path: '/token/' })).status, 200);
  t.is((await rawTokenRequest(server, credentials(SERVICE), { chunked: true })).status, 200);
  for (const options of [{ path: '/Token' }, { path: '/token/' }, { chunked: true }, {}]) {
    t.is((await rawTokenRequest(server, credentials(SERVICE), options)).status, 429, JSON.stringify(options));
  }
});

test('naming a confidential client beside a client attestation does not count against it', async (t) => {
  const { server } = t.context;
  const attestation = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJzZXJ2aWNlIn0.';
  for (let i = 0; i < LIMIT * 2; i += 1) {
    const res = await rawTokenRequest(server, { grant_type: 'client_credentials', client_id: SERVICE.client_id }, { headers: { 'oauth-client-attestation': attestation } });
    t.true(res.status === 400 || res.status === 401, `status ${res.status}`);
  }
  t.is((await tokenRequest(server, credentials(SERVICE))).status, 200);
});

test('a public client is counted per address: one address using it up does not lock out another', async (t) => {
  const { server } = t.context;
  const refresh = { grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token', client_id: SPA.client_id };
  for (let i = 0; i < LIMIT; i += 1) t.is((await rawTokenRequest(server, refresh)).body.error, 'invalid_grant');
  t.is((await rawTokenRequest(server, refresh)).status, 429);
  t.is((await rawTokenRequest(server, refresh, { from: '127.0.0.2' })).body.error, 'invalid_grant', 'another address is not limited');
  t.is((await rawTokenRequest(server, { grant_type: 'client_credentials', client_id: SPA.client_id })).status, 429);
});

test('between syncs a process counts in memory: the limit holds in it, and the store is written only when it syncs', async (t) => {
  const lazy = await startServer({ storeOf: t.context.server, env: { TOKEN_RATE_LIMIT: String(LIMIT), TOKEN_RATE_WINDOW: '60', TOKEN_RATE_SYNC_MS: '600000' } });
  t.teardown(() => lazy.plaza.close());
  for (let i = 0; i < LIMIT; i += 1) t.is((await tokenRequest(lazy, credentials(SERVICE))).status, 200);
  t.is((await tokenRequest(lazy, credentials(SERVICE))).status, 429, 'the process\'s own count stops it');
  const stored = await new WindowCounters(lazy.plaza.store, TOKEN_REQUESTS, 60).get(`client:${SERVICE.client_id}`);
  t.is(stored?.count ?? 0, 0, 'nothing was written yet: the first sync read the count, the rest is in memory');
  t.is((await tokenRequest(t.context.server, credentials(SERVICE))).status, 200, 'a process that syncs on every request has not seen those counts yet');
});

test('wrong client secrets are throttled per client and address and per address, with the rate limit on or off', async (t) => {
  // LOGIN_MAX_FAILURES wrong secrets per client and address, four times as many per address; no rate limit at all.
  const server = await startServer({ storeOf: t.context.server, env: { LOGIN_MAX_FAILURES: '3', TOKEN_RATE_LIMIT: '0', TOKEN_RATE_SYNC_MS: '0' } });
  t.teardown(() => server.plaza.close());
  const wrong = 'not-the-secret-0123456789-0123456';
  for (let i = 0; i < 3; i += 1) t.is((await tokenRequest(server, credentials(SERVICE, wrong))).status, 401);
  const refused = await tokenRequest(server, credentials(SERVICE, wrong));
  t.is(refused.status, 429);
  t.like(refused.body, { error: 'temporarily_unavailable' });
  t.regex(String(refused.body.error_description), /too many failed client authentications/);
  const retryAfter = Number(refused.headers.get('retry-after'));
  t.true(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 900, `Retry-After ${retryAfter}`);
  t.is(refused.headers.get('cache-control'), 'no-store');
  t.is((await tokenRequest(server, credentials(SERVICE))).status, 429, 'the right secret is not even checked from this address now');

  t.is((await rawTokenRequest(server, credentials(SERVICE), { from: '127.0.0.2' })).status, 200, 'nor is the client locked out elsewhere');
  t.is((await tokenRequest(server, { grant_type: 'client_credentials', scope: 'admin' }, basic(ADMIN_TOOL))).status, 200, 'another client from the same address still works');

  // One address trying many clients: each pair stays under its budget, the address does not.
  const from = '127.0.0.3';
  for (let i = 0; i < 12; i += 1) t.is((await rawTokenRequest(server, credentials({ client_id: `guess-${i % 6}`, client_secret: wrong }), { from })).status, 401);
  t.is((await rawTokenRequest(server, credentials(SERVICE), { from })).status, 429);
  t.is((await rawTokenRequest(server, credentials(SERVICE), { from: '127.0.0.4' })).status, 200);
  t.deepEqual(server.serverErrors, []);
});
