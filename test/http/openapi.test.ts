// The OpenAPI document at /api/openapi.json: valid OpenAPI 3.1, and true to the real answers. Every operation is
// called over HTTP, on its success and its main error paths, and each answer's status, content type, required
// headers and body are checked against what the document says for that operation.
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { TRIGGERS_SCHEMA } from '../../server/action_grants/index.ts';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { athOf, dpopKey, dpopProof, tokenRequest, type DpopKey } from '../helpers/oauth.ts';
import { codeFor, redeemCode, ADMIN_TOOL, ALICE, BOB, PHONE } from '../helpers/fixtures.ts';
import { seedSocial, userApiToken, weatherBot, ALL_API_SCOPES } from '../helpers/social.ts';
import { appUserToken, asyncApp, encryptRequest, plazaEncryptionKey, submit, waitForJob } from '../helpers/async_client.ts';

type Json = Record<string, any>;
interface Context {
  server: TestServer;
  receiver: WebhookReceiver;
  doc: Json;
  alice: string;
  bob: string;
  readOnly: string;
  /** alice's DPoP-bound token on a phone, a terminal-bound client. */
  phone: { token: string; key: DpopKey };
  /** alice's token for an app with a callback, which asynchronous results go to. */
  asyncApp: string;
  admin: string;
  /** What was checked, as "METHOD path status", to show every operation was called. */
  seen: Set<string>;
}
const test = anyTest as TestFn<Context>;
type T = ExecutionContext<Context>;

async function phoneToken(server: TestServer): Promise<Context['phone']> {
  const key = await dpopKey();
  const resource = `${server.url}/api`;
  const { code, verifier } = await codeFor(server, PHONE, { scope: ALL_API_SCOPES, resource, dpop_jkt: key.jkt });
  const res = await redeemCode(server, code, verifier, PHONE, { resource }, { dpop: await dpopProof(key, 'POST', `${server.url}/token`) });
  return { token: res.body.access_token, key };
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const compiled = new Map<unknown, ValidateFunction>();

test.before(async (t) => {
  const receiver = await new WebhookReceiver().start();
  // No worker at first, so that a job can be seen unfinished; the test starts one later.
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', RUN_WORKER: '0' } });
  await seedSocial(server, receiver);
  const app = asyncApp(receiver, 'async-app');
  await server.plaza.admin.seed({ clients: [app, PHONE, weatherBot(receiver)] });
  const res = await fetch(`${server.url}/api/openapi.json`);
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type')!, /^application\/json/);
  const raw = await res.json() as Json;
  const validator = new Validator();
  const result = await validator.validate(structuredClone(raw));
  t.deepEqual(result.errors, undefined, 'the document is valid OpenAPI');
  t.true(result.valid);
  t.is(validator.version, '3.1');
  const admin = (await tokenRequest(server, { grant_type: 'client_credentials', client_id: ADMIN_TOOL.client_id, client_secret: ADMIN_TOOL.client_secret, scope: 'admin' })).body.access_token;
  t.context = {
    server, receiver, admin, seen: new Set(),
    doc: validator.resolveRefs() as Json,
    alice: await userApiToken(server),
    bob: await userApiToken(server, BOB),
    readOnly: await userApiToken(server, ALICE, 'messages:read'),
    asyncApp: await appUserToken(server, app),
    phone: await phoneToken(server),
  };
  t.is(t.context.doc.servers[0].url, server.url, 'the issuer is the server');
});
test.after.always(async (t) => {
  await t.context.server?.stop();
  await t.context.receiver?.stop();
});
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

function validatorFor(schema: unknown): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema as object);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Checks a real answer against the document's response for that operation and status; returns its body. */
async function conforms(t: T, method: string, path: string, res: Response): Promise<any> {
  const operation = t.context.doc.paths[path]?.[method.toLowerCase()];
  if (!operation) throw new Error(`the document has no ${method} ${path}`);
  const where = `${method} ${path} ${res.status}`;
  const response = operation.responses[String(res.status)];
  t.truthy(response, `${where}: the status is documented`);
  const text = await res.text();
  if (!response) return undefined;
  t.context.seen.add(where);
  for (const [name, header] of Object.entries(response.headers ?? {}) as [string, Json][]) {
    if (header.required) t.truthy(res.headers.get(name), `${where}: header ${name}`);
  }
  if (!response.content) {
    t.is(text, '', `${where}: no body`);
    return undefined;
  }
  const type = res.headers.get('content-type')?.split(';')[0];
  const media = response.content[type!];
  t.truthy(media, `${where}: content type ${type} is one of ${Object.keys(response.content).join(', ')}`);
  const body = JSON.parse(text);
  const validate = validatorFor(media.schema);
  t.true(validate(body), `${where}: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`);
  return body;
}

function call(t: T, method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${t.context.server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Calls and checks: `template` is the document's path, `path` the real one (defaults to the template). */
async function check(t: T, method: string, template: string, token: string | undefined, options: { path?: string; body?: unknown; headers?: Record<string, string>; status: number }) {
  const res = await call(t, method, options.path ?? template, token, options.body, options.headers);
  t.is(res.status, options.status, `${method} ${options.path ?? template}`);
  return { res, body: await conforms(t, method, template, res) };
}

test.serial('the social API answers as documented', async (t) => {
  const { alice, bob, readOnly } = t.context;
  await check(t, 'GET', '/api/openapi.json', undefined, { status: 200 });
  const me = await check(t, 'GET', '/api/me', alice, { status: 200 });
  t.is(me.body.username, 'alice');
  const none = await check(t, 'GET', '/api/me', undefined, { status: 401 });
  t.is(none.res.headers.get('www-authenticate'), 'Bearer, DPoP');
  await check(t, 'GET', '/api/me', 'not.a.token', { status: 401 });
  await check(t, 'GET', '/api/me', undefined, { status: 401, headers: { authorization: `DPoP ${alice}` } });
  const { phone } = t.context;
  const proof = async () => dpopProof(phone.key, 'GET', `${t.context.server.url}/api/me`, { ath: athOf(phone.token) });
  await check(t, 'GET', '/api/me', undefined, { status: 200, headers: { authorization: `DPoP ${phone.token}`, dpop: await proof() } });
  const noProof = await check(t, 'GET', '/api/me', undefined, { status: 401, headers: { authorization: `DPoP ${phone.token}` } });
  t.regex(noProof.res.headers.get('www-authenticate')!, /^DPoP error="invalid_dpop_proof"/);
  await check(t, 'GET', '/api/me', phone.token, { status: 401 });

  await check(t, 'GET', '/api/groups', alice, { status: 200 });
  await check(t, 'GET', '/api/groups', readOnly, { status: 403 });

  const messages = '/api/groups/{id}/messages';
  const posted = await check(t, 'POST', messages, alice, { path: '/api/groups/hiking/messages', body: { text: 'hello' }, status: 201 });
  t.is(posted.res.headers.get('location'), `${t.context.server.url}/api/groups/hiking/messages/${posted.body.id}`);
  await check(t, 'POST', messages, alice, { path: '/api/groups/hiking/messages', body: { text: '   ' }, status: 400 });
  await check(t, 'POST', messages, alice, { path: '/api/groups/hiking/messages', body: '{"text":', status: 400 });
  await check(t, 'POST', messages, alice, { path: '/api/groups/hiking/messages', body: { text: 'x'.repeat(2 << 20) }, status: 413 });
  await check(t, 'POST', messages, alice, { path: '/api/groups/hiking/messages', body: { text: 'x' }, headers: { 'content-encoding': 'br2' }, status: 415 });
  await check(t, 'POST', messages, readOnly, { path: '/api/groups/hiking/messages', body: { text: 'x' }, status: 403 });
  await check(t, 'POST', messages, undefined, { path: '/api/groups/hiking/messages', body: { text: 'x' }, status: 401 });
  const list = await check(t, 'GET', messages, alice, { path: '/api/groups/hiking/messages', status: 200 });
  t.true(list.body.some((m: Json) => m.id === posted.body.id));
  await check(t, 'GET', messages, bob, { path: '/api/groups/chess/messages', status: 403 });
  const one = '/api/groups/{id}/messages/{messageId}';
  t.is((await check(t, 'GET', one, alice, { path: new URL(posted.res.headers.get('location')!).pathname, status: 200 })).body.id, posted.body.id);
  await check(t, 'GET', one, alice, { path: '/api/groups/hiking/messages/no-such-message', status: 404 });
  await check(t, 'GET', one, bob, { path: `/api/groups/chess/messages/${posted.body.id}`, status: 403 });

  const apps = '/api/groups/{id}/apps';
  const added = await check(t, 'POST', apps, alice, { path: '/api/groups/hiking/apps', body: { client_id: 'poster', actions: ['messages:post'] }, status: 201 });
  t.like(added.body, { group_id: 'hiking', client_id: 'poster', actions: ['messages:post'] });
  await check(t, 'POST', apps, alice, { path: '/api/groups/hiking/apps', body: { client_id: 'spa', actions: ['messages:post'] }, status: 400 });
  await check(t, 'POST', apps, alice, { path: '/api/groups/hiking/apps', body: { client_id: 'web', actions: ['messages:post'] }, status: 403 });
  await check(t, 'POST', apps, alice, { path: '/api/groups/hiking/apps', body: { client_id: 'poster', actions: ['admin'] }, status: 400 });
  await check(t, 'POST', apps, readOnly, { path: '/api/groups/hiking/apps', body: { client_id: 'poster', actions: ['messages:post'] }, status: 403 });
  t.is((await check(t, 'GET', apps, alice, { path: '/api/groups/hiking/apps', status: 200 })).body.length, 1);
  await check(t, 'GET', apps, bob, { path: '/api/groups/chess/apps', status: 403 });
  await check(t, 'DELETE', '/api/groups/{id}/apps/{clientId}', alice, { path: '/api/groups/hiking/apps/poster', status: 204 });
  await check(t, 'DELETE', '/api/groups/{id}/apps/{clientId}', alice, { path: '/api/groups/hiking/apps/poster', status: 404 });
  await check(t, 'DELETE', '/api/groups/{id}/apps/{clientId}', readOnly, { path: '/api/groups/hiking/apps/poster', status: 403 });

  const share = '/api/groups/{id}/messages/{messageId}/share';
  const sharePath = `/api/groups/hiking/messages/${posted.body.id}/share`;
  await check(t, 'POST', share, alice, { path: sharePath, body: { client_id: 'weather' }, status: 400 });
  const responding = await check(t, 'POST', apps, alice, { path: '/api/groups/hiking/apps', body: { client_id: 'weather', actions: [], respond: true }, status: 201 });
  t.like(responding.body, { client_id: 'weather', actions: [], respond: true });
  await check(t, 'POST', share, alice, { path: sharePath, body: { client_id: 'weather' }, status: 204 });
  await check(t, 'POST', share, alice, { path: '/api/groups/hiking/messages/no-such-message/share', body: { client_id: 'weather' }, status: 404 });
  await check(t, 'POST', share, readOnly, { path: sharePath, body: { client_id: 'weather' }, status: 403 });
  await check(t, 'POST', messages, alice, { path: '/api/groups/hiking/messages', body: { text: 'a reply', reply_to: 'no-such-message' }, status: 404 });
  const reply = await check(t, 'POST', messages, alice, { path: '/api/groups/hiking/messages', body: { text: 'a reply', reply_to: posted.body.id }, status: 201 });
  t.is(reply.body.reply_to, posted.body.id);
});

test.serial('the asynchronous API answers as documented', async (t) => {
  const { server, asyncApp: alice, bob } = t.context;
  const me = await (await call(t, 'GET', '/api/me', alice)).json() as { sub: string };
  const key = await plazaEncryptionKey(server);
  const post = (text: string) => encryptRequest(key, { api: 'messages.post', user: me.sub, format: 'json', data: { group_id: 'hiking', text } });

  const submitted = await submit(server, alice, await post('queued'), { 'idempotency-key': 'k1' });
  t.is(submitted.status, 202);
  const accepted = await call(t, 'POST', '/api/async', alice, await post('queued'), { 'content-type': 'application/jose', 'idempotency-key': 'k1' });
  t.is(accepted.status, 202, 'the same key returns the same job');
  const job = await conforms(t, 'POST', '/api/async', accepted);
  t.is(job.job_id, submitted.body.job_id);
  t.is(accepted.headers.get('location'), job.status_url);

  const statusOf = (status: number, jobId = job.job_id, token = alice) => check(t, 'GET', '/api/async/jobs/{id}', token, { path: `/api/async/jobs/${jobId}`, status });
  const redeliver = (status: number, jobId = job.job_id) => check(t, 'POST', '/api/async/jobs/{id}/redeliver', alice, { path: `/api/async/jobs/${jobId}/redeliver`, status });
  t.is((await statusOf(200)).body.state, 'queued');
  await redeliver(409);

  const worker = server.plaza.async.newWorker();
  worker.start();
  t.teardown(() => worker.stop());
  await waitForJob(server, alice, job.job_id, (j) => j.state === 'succeeded' && j.deliveries[0]?.state === 'delivered');
  const done = await statusOf(200);
  t.like(done.body, { state: 'succeeded', result: { group_id: 'hiking', text: 'queued' } });
  t.is((await redeliver(202)).body.job_id, job.job_id);
  await statusOf(404, 'no-such-job');
  await statusOf(404, job.job_id, bob);
  await redeliver(404, 'no-such-job');
  await check(t, 'GET', '/api/async/jobs/{id}', undefined, { path: `/api/async/jobs/${job.job_id}`, status: 401 });

  const list = await encryptRequest(key, { api: 'messages.list', user: me.sub, format: 'json', data: { group_id: 'hiking' } });
  const listed = await submit(server, alice, list);
  const listJob = await waitForJob(server, alice, listed.body.job_id, (j) => j.state === 'succeeded');
  t.true(Array.isArray(listJob.result));
  await statusOf(200, listed.body.job_id);

  const refusals: [string, Record<string, string>, number, string?][] = [
    ['not a jwe', {}, 400],
    [await encryptRequest(key, { api: 'nope', user: me.sub, format: 'json', data: {} }), {}, 400],
    [await post('x'), { 'idempotency-key': 'k'.repeat(256) }, 400],
    [await post('other'), {}, 403, bob],
    [await encryptRequest(key, { api: 'messages.list', user: me.sub, format: 'json', data: { group_id: 'hiking' } }), { 'idempotency-key': 'k1' }, 409],
    ['x'.repeat(300 * 1024), {}, 413],
    [await post('x'), {}, 401, ''],
  ];
  for (const [body, headers, status, token] of refusals) {
    const res = await call(t, 'POST', '/api/async', token ?? alice, body, { 'content-type': 'application/jose', ...headers });
    t.is(res.status, status, `POST /api/async → ${status}`);
    await conforms(t, 'POST', '/api/async', res);
  }
  const asJson = await call(t, 'POST', '/api/async', alice, { api: 'messages.post' });
  t.is(asJson.status, 415);
  await conforms(t, 'POST', '/api/async', asJson);
});

test.serial('the admin API answers as documented', async (t) => {
  const { admin, alice } = t.context;
  for (const what of ['users', 'clients', 'groups', 'hosts']) await check(t, 'GET', `/admin/api/${what}`, admin, { status: 200 });
  const none = await check(t, 'GET', '/admin/api/users', undefined, { status: 401 });
  t.is(none.res.headers.get('www-authenticate'), 'Bearer, DPoP');
  await check(t, 'GET', '/admin/api/users', alice, { status: 401 });

  await check(t, 'POST', '/admin/api/users', admin, { body: { username: 'carol', password: 'carol-password-1', name: 'Carol' }, status: 201 });
  await check(t, 'POST', '/admin/api/users', admin, { body: { username: 'carol', password: 'carol-password-1' }, status: 400 });
  await check(t, 'POST', '/admin/api/users', admin, { body: '[', status: 400 });
  await check(t, 'POST', '/admin/api/users', admin, { body: { username: 'x'.repeat(2 << 20) }, status: 413 });
  await check(t, 'POST', '/admin/api/users', admin, { body: { username: 'dave' }, headers: { 'content-encoding': 'br2' }, status: 415 });

  const client = await check(t, 'POST', '/admin/api/clients', admin, { body: { client_name: 'New App', redirect_uris: ['https://new.example/cb'], callback_uri: 'https://new.example/hooks' }, status: 201 });
  t.truthy(client.body.client_secret);
  t.truthy(client.body.webhook_secret);
  await check(t, 'POST', '/admin/api/clients', admin, { body: { redirect_uris: 'not-a-list' }, status: 400 });
  const listed = await check(t, 'GET', '/admin/api/clients', admin, { status: 200 });
  t.true(listed.body.some((c: Json) => c.client_id === client.body.client_id));
  const enable = '/admin/api/clients/{clientId}/callback/enable';
  t.deepEqual((await check(t, 'POST', enable, admin, { path: `/admin/api/clients/${client.body.client_id}/callback/enable`, status: 200 })).body, { client_id: client.body.client_id, was_disabled: false });
  await check(t, 'GET', '/admin/api/apps', admin, { status: 200 });
  for (const action of ['suspend', 'unsuspend', 'verify', 'unverify']) {
    await check(t, 'POST', `/admin/api/clients/{clientId}/${action}`, admin, { path: `/admin/api/clients/${client.body.client_id}/${action}`, status: 204 });
    await check(t, 'POST', `/admin/api/clients/{clientId}/${action}`, admin, { path: `/admin/api/clients/no-such-client/${action}`, status: 404 });
  }
  await check(t, 'POST', '/admin/api/initial-access-tokens', admin, { body: { owner: 'alice' }, status: 201 });
  await check(t, 'POST', '/admin/api/initial-access-tokens', admin, { body: { owner: 'nobody' }, status: 400 });
  await check(t, 'DELETE', '/admin/api/clients/{clientId}', admin, { path: `/admin/api/clients/${client.body.client_id}`, status: 204 });
  await check(t, 'DELETE', '/admin/api/clients/{clientId}', admin, { path: `/admin/api/clients/${client.body.client_id}`, status: 404 });

  await check(t, 'POST', '/admin/api/groups', admin, { body: { id: 'book-club', name: 'Book Club', members: ['alice', 'carol'] }, status: 201 });
  await check(t, 'POST', '/admin/api/groups', admin, { body: { id: 'x', members: ['nobody'] }, status: 400 });
  const member = '/admin/api/groups/{id}/members/{username}';
  await check(t, 'DELETE', member, admin, { path: '/admin/api/groups/book-club/members/carol', status: 204 });
  await check(t, 'DELETE', member, admin, { path: '/admin/api/groups/book-club/members/carol', status: 404 });

  const terminals = await check(t, 'GET', '/admin/api/users/{username}/terminals', admin, { path: '/admin/api/users/alice/terminals', status: 200 });
  t.like(terminals.body, [{ client_id: 'phone', jkt: t.context.phone.key.jkt }]);
  await check(t, 'GET', '/admin/api/users/{username}/terminals', admin, { path: '/admin/api/users/nobody/terminals', status: 404 });
  await check(t, 'DELETE', '/admin/api/terminals/{id}', admin, { path: `/admin/api/terminals/${terminals.body[0].id}`, status: 204 });
  await check(t, 'DELETE', '/admin/api/terminals/{id}', admin, { path: `/admin/api/terminals/${terminals.body[0].id}`, status: 404 });

  const host = { id: 'signer', kind: 'jwt', issuer: 'https://host.example', jwks_uri: 'https://host.example/jwks', audience: 'plaza' };
  t.like((await check(t, 'POST', '/admin/api/hosts', admin, { body: host, status: 201 })).body, { id: 'signer', kind: 'jwt', platform: 'signer' });
  await check(t, 'POST', '/admin/api/hosts', admin, { body: { ...host, kind: 'other' }, status: 400 });
  await check(t, 'GET', '/admin/api/hosts', admin, { status: 200 });

  t.is((await check(t, 'POST', '/admin/api/keys/rotate', admin, { status: 200 })).body.added.length, 4);
  const seeded = await check(t, 'POST', '/admin/api/seed', admin, { body: { users: [{ username: 'erin', password: 'erin-password-1' }], clients: [{ client_name: 'Seeded', redirect_uris: ['https://s.example/cb'] }] }, status: 200 });
  t.is(Object.keys(seeded.body.clients.secrets).length, 1);
  await check(t, 'POST', '/admin/api/seed', admin, { status: 200 });
  await check(t, 'POST', '/admin/api/seed', admin, { body: { users: 'nope' }, status: 400 });
});

test.serial('every documented operation was called, and every documented path allows just its methods', async (t) => {
  const { doc, seen, admin } = t.context;
  const samples: Record<string, string> = { id: 'hiking', clientId: 'poster', username: 'alice', messageId: 'any' };
  for (const [path, item] of Object.entries(doc.paths) as [string, Json][]) {
    const methods = ['get', 'post', 'delete', 'put', 'patch'].filter((m) => item[m]);
    for (const method of methods) {
      const success = Object.keys(item[method].responses).find((s) => s.startsWith('2'));
      t.true(seen.has(`${method.toUpperCase()} ${path} ${success}`), `${method.toUpperCase()} ${path} was called and answered ${success}`);
    }
    const real = path.replace(/\{(\w+)\}/g, (_, name: string) => samples[name]);
    const res = await call(t, 'OPTIONS', real, path.startsWith('/admin/') ? admin : undefined);
    const allowed = res.headers.get('allow')?.split(', ').filter((m) => m !== 'HEAD').map((m) => m.toLowerCase()).sort();
    t.deepEqual(allowed, methods.sort(), `${path}: the router has exactly the documented methods`);
  }
});

test.serial('the check notices a drifted answer', async (t) => {
  const { doc } = t.context;
  const schema = doc.paths['/api/groups/{id}/messages'].get.responses['200'].content['application/json'].schema;
  const message = { id: 'm1', group_id: 'hiking', author: 'sub', via: 'web', text: 'hi', created_at: new Date().toISOString() };
  t.true(validatorFor(schema)([message]));
  t.false(validatorFor(schema)([{ ...message, extra: true }]), 'an undocumented member');
  t.false(validatorFor(schema)([{ ...message, created_at: Date.now() }]), 'a member of another type');
  const { text: _text, ...withoutText } = message;
  t.false(validatorFor(schema)([withoutText]), 'a missing member');
});

test.serial('the interaction inputs the document prints are the ones validation uses', (t) => {
  const { doc } = t.context;
  const bodyOf = (path: string) => doc.paths[path].post.requestBody.content['application/json'].schema;
  // plaza_triggers is part of what registers a client, and of a seed file's clients, as action_grants defines it.
  t.deepEqual(bodyOf('/admin/api/clients').properties.plaza_triggers, TRIGGERS_SCHEMA);
  t.deepEqual(doc.components.schemas.SeedFile.properties.clients.items.properties.plaza_triggers, TRIGGERS_SCHEMA);
  t.true(validatorFor(bodyOf('/admin/api/clients'))({ client_id: 'bot', plaza_triggers: { commands: [{ name: 'weather', actions: ['messages:post'] }] } }));
  t.false(validatorFor(bodyOf('/admin/api/clients'))({ client_id: 'bot', plaza_triggers: { commands: [{ name: 'Weather!', actions: ['messages:post'] }] } }));
  // Adding an app: standing actions, or respond when asked, never neither.
  const addApp = validatorFor(bodyOf('/api/groups/{id}/apps'));
  t.true(addApp({ client_id: 'weather', actions: [], respond: true }));
  t.true(addApp({ client_id: 'weather', respond: true }));
  t.true(addApp({ client_id: 'poster', actions: ['messages:post'] }));
  t.false(addApp({ client_id: 'poster' }));
  t.false(addApp({ client_id: 'poster', actions: [], respond: false }));
  const share = validatorFor(bodyOf('/api/groups/{id}/messages/{messageId}/share'));
  t.true(share({ client_id: 'weather' }));
  t.false(share({ client_id: 7 }));
  t.true(validatorFor(bodyOf('/api/groups/{id}/messages'))({ text: 'an answer', reply_to: 'm1' }));
});
