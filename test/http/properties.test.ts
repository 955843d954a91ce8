// Property-based tests (fast-check) over the endpoints Plaza adds: whatever arrives, the answer is a
// well-formed OAuth error or problem document (or a success), never a server error. Runs are bounded.
import anyTest, { type TestFn } from 'ava';
import fc from 'fast-check';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { tokenRequest } from '../helpers/oauth.ts';
import { seedSocial, userApiToken, TOKEN_EXCHANGE } from '../helpers/social.ts';
import { ADMIN_TOOL } from '../helpers/fixtures.ts';

const test = anyTest as TestFn<{ server: TestServer; receiver: WebhookReceiver; user: string; admin: string }>;
const RUNS = { numRuns: 60, interruptAfterTimeLimit: 20_000 };

test.before(async (t) => {
  const receiver = await new WebhookReceiver().start();
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1' } });
  await seedSocial(server, receiver);
  const admin = (await tokenRequest(server, { grant_type: 'client_credentials', client_id: ADMIN_TOOL.client_id, client_secret: ADMIN_TOOL.client_secret, scope: 'admin' })).body.access_token;
  t.context = { server, receiver, user: await userApiToken(server), admin };
});
test.after.always(async (t) => {
  await t.context.server.stop();
  await t.context.receiver.stop();
});
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

const TYPES = [
  'urn:plaza:token-type:action-ticket', 'urn:plaza:token-type:host-login-code', 'urn:plaza:token-type:handoff-code',
  'urn:ietf:params:oauth:token-type:access_token', 'urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token',
];
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('', ' ', '{"$ne":null}', 'eyJhbGciOiJub25lIn0.e30.', '../..', 'a'.repeat(5000)));
const json = fc.jsonValue({ maxDepth: 3 });

async function problemOrSuccess(res: Response): Promise<boolean> {
  if (res.status >= 500) return false;
  if (res.status < 400) return true;
  const body = await res.json() as { status?: number; title?: string };
  return res.headers.get('content-type') === 'application/problem+json' && body.status === res.status && typeof body.title === 'string';
}

test('token exchange parameters', async (t) => {
  const { server } = t.context;
  await fc.assert(fc.asyncProperty(
    fc.record({ subject_token: text, subject_token_type: fc.oneof(fc.constantFrom(...TYPES), text), scope: text, audience: text, requested_token_type: fc.oneof(fc.constantFrom(...TYPES), text), subject_issuer: text, response_encryption_jwk: fc.oneof(text, json.map((v) => JSON.stringify(v))) }, { requiredKeys: [] }),
    async (params) => {
      const res = await tokenRequest(server, { grant_type: TOKEN_EXCHANGE, client_id: 'poster', client_secret: 'poster-secret-0123456789-0123456789', ...params });
      return res.status >= 400 && res.status < 500 && typeof res.body.error === 'string';
    },
  ), RUNS);
  t.pass();
});

test('/api bodies and paths', async (t) => {
  const { server, user } = t.context;
  await fc.assert(fc.asyncProperty(json, text, fc.constantFrom('messages', 'apps'), async (body, segment, what) => {
    const group = encodeURIComponent(segment);
    const post = await fetch(`${server.url}/api/groups/${group}/${what}`, { method: 'POST', headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const get = await fetch(`${server.url}/api/groups/${group}/${what}`, { headers: { authorization: `Bearer ${user}` } });
    return await problemOrSuccess(post) && await problemOrSuccess(get);
  }), RUNS);
  t.pass();
});

test('JWE and JWS inputs', async (t) => {
  const { server, user } = t.context;
  const part = fc.base64String().map((s) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, ''));
  const compact = fc.oneof(text, fc.tuple(part, part, part, part, part).map((p) => p.join('.')), fc.tuple(part, part, part).map((p) => p.join('.')));
  await fc.assert(fc.asyncProperty(compact, async (jwe) => {
    const submit = await fetch(`${server.url}/api/async`, { method: 'POST', headers: { authorization: `Bearer ${user}`, 'content-type': 'application/jose' }, body: jwe });
    const asToken = await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${jwe.replace(/[^A-Za-z0-9\-._~+/]/g, '') || 'x'}` } });
    const asProof = await fetch(`${server.url}/api/me`, { headers: { authorization: `DPoP ${user}`, dpop: jwe.replace(/[^\x20-\x7e]/g, '') } });
    return await problemOrSuccess(submit) && await problemOrSuccess(asToken) && await problemOrSuccess(asProof);
  }), RUNS);
  t.pass();
});

test('admin API bodies', async (t) => {
  const { server, admin } = t.context;
  await fc.assert(fc.asyncProperty(fc.constantFrom('users', 'clients', 'groups', 'hosts', 'seed'), json, async (what, body) => {
    const res = await fetch(`${server.url}/admin/api/${what}`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return problemOrSuccess(res);
  }), RUNS);
  t.pass();
});
