// The admin HTTP API: only a client-credentials token with the admin scope gets in, and it does what the CLI does.
import anyTest, { type TestFn } from 'ava';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { decodeJwt } from 'jose';
import { athOf, dpopKey, dpopProof, tokenRequest, type DpopKey } from '../helpers/oauth.ts';
import { codeFor, redeemCode, seedBasics, ADMIN_TOOL, OTHER_WEB, SERVICE, WEB } from '../helpers/fixtures.ts';

const test = anyTest as TestFn<{ server: TestServer; token: string }>;

test.before(async (t) => {
  const server = await startServer();
  await seedBasics(server);
  const res = await tokenRequest(server, { grant_type: 'client_credentials', client_id: ADMIN_TOOL.client_id, client_secret: ADMIN_TOOL.client_secret, scope: 'admin' });
  t.context = { server, token: res.body.access_token };
});
test.after.always(async (t) => { await t.context.server.stop(); });
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

function call(t: { context: { server: TestServer; token: string } }, method: string, path: string, body?: unknown, token = t.context.token) {
  return fetch(`${t.context.server.url}/admin/api${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function problem(t: { is: (a: unknown, b: unknown) => void }, res: Response, status: number) {
  t.is(res.status, status);
  t.is(res.headers.get('content-type'), 'application/problem+json');
  const body = await res.json() as { status: number; title: string; detail?: string };
  t.is(body.status, status);
  return body;
}

test('no token, a bad token, and a token without the admin scope are refused', async (t) => {
  const { server } = t.context;
  const none = await call(t, 'GET', '/users', undefined, '');
  await problem(t, none, 401);
  t.is(none.headers.get('www-authenticate'), 'Bearer, DPoP');
  await problem(t, await call(t, 'GET', '/users', undefined, 'garbage.token.here'), 401);
  const service = await tokenRequest(server, { grant_type: 'client_credentials', client_id: SERVICE.client_id, client_secret: SERVICE.client_secret });
  const wrongAudience = await call(t, 'GET', '/users', undefined, service.body.access_token);
  await problem(t, wrongAudience, 401);
  const noAdmin = await tokenRequest(server, { grant_type: 'client_credentials', client_id: SERVICE.client_id, client_secret: SERVICE.client_secret, resource: `${server.url}/admin/api` });
  t.is(noAdmin.body.error, 'invalid_target', 'a client without the admin scope cannot get an admin token at all');
});

test('a DPoP-bound admin token works only with a proof by its key', async (t) => {
  const { server } = t.context;
  const key = await dpopKey();
  const issued = await tokenRequest(server, { grant_type: 'client_credentials', client_id: ADMIN_TOOL.client_id, client_secret: ADMIN_TOOL.client_secret, scope: 'admin' },
    { dpop: await dpopProof(key, 'POST', `${server.url}/token`) });
  t.is(issued.body.token_type, 'DPoP');
  const token = issued.body.access_token;
  t.deepEqual(decodeJwt(token).cnf, { jkt: key.jkt });
  const url = `${server.url}/admin/api/users`;
  const withProof = async (k: DpopKey) => fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(k, 'GET', url, { ath: athOf(token) }) } });

  const bearer = await call(t, 'GET', '/users', undefined, token);
  await problem(t, bearer, 401);
  t.regex(bearer.headers.get('www-authenticate')!, /^DPoP error="invalid_token"/);
  await problem(t, await fetch(url, { headers: { authorization: `DPoP ${token}` } }), 401);
  await problem(t, await withProof(await dpopKey()), 401);
  t.is((await withProof(key)).status, 200);
});

test('an admin token dies at once when revoked, or when its client loses the admin scope', async (t) => {
  const { server } = t.context;
  const client = { client_id: 'ops', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'admin' };
  const secret = (await (await call(t, 'POST', '/clients', client)).json() as { client_secret: string }).client_secret;
  const auth = { client_id: 'ops', client_secret: secret };
  const adminToken = async () => (await tokenRequest(server, { grant_type: 'client_credentials', ...auth, scope: 'admin' })).body.access_token as string;
  const revoke = (token: string, by: Record<string, string>) => fetch(`${server.url}/token/revocation`, { method: 'POST', body: new URLSearchParams({ token, ...by }) });

  const revoked = await adminToken();
  t.is((await call(t, 'GET', '/users', undefined, revoked)).status, 200);
  t.is((await revoke(revoked, auth)).status, 200);
  t.regex((await problem(t, await call(t, 'GET', '/users', undefined, revoked), 401)).detail!, /revoked/);

  const demoted = await adminToken();
  t.is((await call(t, 'GET', '/users', undefined, demoted)).status, 200);
  t.is((await call(t, 'POST', '/clients', { ...client, client_secret: secret, scope: 'groups:read' })).status, 201);
  t.regex((await problem(t, await call(t, 'GET', '/users', undefined, demoted), 401)).detail!, /no longer holds admin/);
});

test('a user\'s authorization never reaches the admin API, whichever way it asks', async (t) => {
  const { server } = t.context;
  const admin = `${server.url}/admin/api`;
  for (const extra of [{ scope: 'openid admin' }, { scope: 'openid groups:read', resource: admin }] as Record<string, string>[]) {
    const { callback } = await codeFor(server, WEB, extra);
    t.is(callback.searchParams.get('error'), 'invalid_target', JSON.stringify(extra));
  }
  const { code, verifier } = await codeFor(server, WEB, { scope: 'openid groups:read' });
  t.is((await redeemCode(server, code, verifier, WEB, { resource: admin })).body.error, 'invalid_target');
});

test('users, clients and groups through the API', async (t) => {
  const created = await call(t, 'POST', '/users', { username: 'carol', password: 'carol-password-1', name: 'Carol' });
  t.is(created.status, 201);
  t.like(await created.json(), { username: 'carol', name: 'Carol' });
  const users = await (await call(t, 'GET', '/users')).json() as { username: string; passwordHash?: string }[];
  t.true(users.some((u) => u.username === 'carol'));
  t.true(users.every((u) => u.passwordHash === undefined));
  await problem(t, await call(t, 'POST', '/users', { username: 'carol', password: 'carol-password-1' }), 400);
  const withEmail = await call(t, 'POST', '/users', { username: 'dora', password: 'dora-password-1', email: 'dora@example.com' });
  t.like(await withEmail.json(), { username: 'dora', email: 'dora@example.com' });
  const badEmail = await problem(t, await call(t, 'POST', '/users', { username: 'ed', password: 'ed-password-1', email: 'not an address' }), 400);
  t.regex(badEmail.detail!, /email must be an address/);

  const client = await call(t, 'POST', '/clients', { client_name: 'New App', redirect_uris: ['https://new.example/cb'] });
  t.is(client.status, 201);
  const body = await client.json() as { client_id: string; client_secret: string };
  t.regex(body.client_secret, /^[A-Za-z0-9_-]{43}$/, 'a generated secret is shown once');
  const listed = await (await call(t, 'GET', '/clients')).json() as Record<string, unknown>[];
  const found = listed.find((c) => c.client_id === body.client_id)!;
  t.is(found.client_name, 'New App');
  t.is(found.client_secret, undefined, 'never listed again');
  const token = await tokenRequest(t.context.server, {
    grant_type: 'authorization_code', code: 'unknown', redirect_uri: 'https://new.example/cb', client_id: body.client_id, client_secret: body.client_secret,
  });
  t.is(token.body.error, 'invalid_grant', 'the new client exists and authenticated with its secret (the code is what is wrong)');
  t.is((await call(t, 'DELETE', `/clients/${body.client_id}`)).status, 204);
  await problem(t, await call(t, 'DELETE', `/clients/${body.client_id}`), 404);

  const group = await call(t, 'POST', '/groups', { id: 'book-club', name: 'Book Club', members: ['alice', 'carol'] });
  t.is(group.status, 201);
  t.deepEqual(await group.json(), { id: 'book-club', name: 'Book Club', members: ['alice', 'carol'] });
  await problem(t, await call(t, 'POST', '/groups', { id: 'x', members: ['nobody'] }), 400);
});

test('bad input gets a problem document, never a server error', async (t) => {
  await problem(t, await call(t, 'POST', '/users', '{not json'), 400);
  await problem(t, await call(t, 'POST', '/users', [1, 2]), 400);
  await problem(t, await call(t, 'POST', '/users', { username: { $ne: null }, password: 'long-enough-pw' }), 400);
  await problem(t, await call(t, 'POST', '/clients', { redirect_uris: 'not-a-list' }), 400);
  await problem(t, await call(t, 'POST', '/clients', { client_id: '../../etc', redirect_uris: ['https://a.example/cb'] }), 400);
  await problem(t, await call(t, 'POST', '/seed', { users: 'nope' }), 400);
  await problem(t, await call(t, 'POST', '/seed', { users: [null] }), 400);
  await problem(t, await call(t, 'POST', '/seed', { groups: [null] }), 400);
  await problem(t, await call(t, 'GET', '/nothing-here'), 404);
  const put = await call(t, 'PUT', '/users', {});
  await problem(t, put, 405);
  t.is(put.headers.get('allow'), 'HEAD, GET, POST', 'a 405 names the methods the path has (RFC 9110)');
});

test('the ids of Plaza\'s own clients cannot be registered, by the API or a seed', async (t) => {
  for (const clientId of ['plaza-account', 'plaza-h5']) {
    const body = await problem(t, await call(t, 'POST', '/clients', { ...SERVICE, client_id: clientId }), 400);
    t.regex(String(body.detail), new RegExp(`client_id ${clientId} is one of Plaza's own clients`));
    await t.throwsAsync(t.context.server.plaza.admin.seed({ clients: [{ ...SERVICE, client_id: clientId }] }), { message: /one of Plaza's own clients/ });
  }
  const registered = (await t.context.server.plaza.admin.listClients()).map((c) => c.client_id);
  t.false(registered.includes('plaza-account') || registered.includes('plaza-h5'));
});

test('seeding over the API is idempotent', async (t) => {
  const seed = { users: [{ username: 'dave', password: 'dave-password-1' }], groups: [{ id: 'dave-group', members: ['dave'] }] };
  const first = await (await call(t, 'POST', '/seed', seed)).json() as { users: { created: number } };
  const second = await (await call(t, 'POST', '/seed', seed)).json() as { users: { created: number; updated: number } };
  t.is(first.users.created, 1);
  t.is(second.users.created, 0);
  t.is(second.users.updated, 1);
  const groups = await (await call(t, 'GET', '/groups')).json() as { id: string; members: string[] }[];
  t.deepEqual(groups.find((g) => g.id === 'dave-group')!.members, ['dave']);
});

test('hosts through the API: registered, listed without their secret, bad ones refused', async (t) => {
  const created = await call(t, 'POST', '/hosts', { id: 'wx', kind: 'code2session', url: 'https://h.example/s', app_id: 'a', app_secret: 'very-secret' });
  t.is(created.status, 201);
  const hosts = await (await call(t, 'GET', '/hosts')).json();
  t.like((hosts as { id: string }[])[0], { id: 'wx', kind: 'code2session' });
  t.false(JSON.stringify(hosts).includes('very-secret'));
  await problem(t, await call(t, 'POST', '/hosts', { id: 'wx', kind: 'jwt' }), 400);
});

test('removing a client ends its access at once: its grants are revoked and its own tokens refused', async (t) => {
  const { server } = t.context;
  const created = await (await call(t, 'POST', '/clients', { client_id: 'short-lived', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'admin' })).json() as { client_secret: string };
  const token = (await tokenRequest(server, { grant_type: 'client_credentials', client_id: 'short-lived', client_secret: created.client_secret, scope: 'admin' })).body.access_token;
  t.is((await call(t, 'GET', '/users', undefined, token)).status, 200);
  const { code, verifier } = await codeFor(server, OTHER_WEB, { scope: 'groups:read', resource: `${server.url}/api` });
  const userToken = (await redeemCode(server, code, verifier, OTHER_WEB, { resource: `${server.url}/api` })).body.access_token;
  t.is((await fetch(`${server.url}/api/groups`, { headers: { authorization: `Bearer ${userToken}` } })).status, 200);

  t.is((await call(t, 'DELETE', '/clients/short-lived')).status, 204);
  await problem(t, await call(t, 'GET', '/users', undefined, token), 401);
  t.is((await call(t, 'DELETE', `/clients/${OTHER_WEB.client_id}`)).status, 204);
  t.is((await fetch(`${server.url}/api/groups`, { headers: { authorization: `Bearer ${userToken}` } })).status, 401);
});
