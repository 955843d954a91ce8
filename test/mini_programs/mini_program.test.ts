// Mini-program logins over HTTP against fake hosts: a mini-program's host login code or host-signed token becomes a Plaza
// identity and ordinary Plaza tokens; every failure is a clear OAuth error.
import anyTest, { type TestFn } from 'ava';
import { decodeJwt, SignJWT } from 'jose';
import { HOSTS, type HostPlatform } from '../../server/mini_programs/index.ts';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { FakeCode2Session, FakeJwtHost, HOST_APP_ID } from '../helpers/fake_hosts.ts';
import { Browser, csrfOf, tokenRequest } from '../helpers/oauth.ts';
import { api, TOKEN_EXCHANGE } from '../helpers/social.ts';
import { codeFor, seedBasics, ALICE, WEB } from '../helpers/fixtures.ts';

const HOST_CODE = 'urn:plaza:token-type:host-login-code';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';

const MINI = {
  client_id: 'mini', client_secret: 'mini-secret-0123456789-0123456789', client_name: 'Hiking Mini-Program',
  grant_types: [TOKEN_EXCHANGE, 'refresh_token'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post',
  plaza_hosts: ['wx-a', 'wx-b', 'wx-slow', 'signer', 'rotating', 'moved-code', 'moved-jwt'],
  plaza_host_app_ids: { signer: HOST_APP_ID, rotating: HOST_APP_ID, 'moved-jwt': HOST_APP_ID },
};
const NOT_ALLOWED = { ...MINI, client_id: 'mini-other', client_secret: 'mini-other-secret-0123456789-0123', plaza_hosts: ['wx-b'] };
const BOUND = { ...MINI, client_id: 'mini-bound', client_secret: 'mini-bound-secret-0123456789-0123', dpop_bound_access_tokens: true };
/** Another mini-program at the same host, with wider scopes: it must not be able to use MINI's host tokens. */
const WIDE = { ...MINI, client_id: 'mini-wide', client_secret: 'mini-wide-secret-0123456789-01234', plaza_host_app_ids: { signer: 'wide-mini' } };
/** Registered for the host, but without its app id there. */
const NO_APP_ID = { ...MINI, client_id: 'mini-no-app-id', client_secret: 'mini-no-app-secret-0123456789-012', plaza_host_app_ids: {} };

const test = anyTest as TestFn<{ server: TestServer; wx: FakeCode2Session; signer: FakeJwtHost; rotating: FakeJwtHost }>;

test.before(async (t) => {
  const wx = await new FakeCode2Session().start();
  wx.apps.set('wxa-app', 'wxa-secret-value');
  wx.apps.set('wxb-app', 'wxb-secret-value');
  const signer = await new FakeJwtHost().start();
  const rotating = await new FakeJwtHost('https://rotating.example').start();
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', HOST_JWKS_COOLDOWN_MS: '0' } });
  await seedBasics(server);
  await server.plaza.admin.seed({
    hosts: [
      { id: 'wx-a', kind: 'code2session', platform: 'wechat', url: wx.url, app_id: 'wxa-app', app_secret: 'wxa-secret-value' },
      { id: 'wx-b', kind: 'code2session', platform: 'wechat', url: wx.url, app_id: 'wxb-app', app_secret: 'wxb-secret-value' },
      { id: 'wx-slow', kind: 'code2session', url: wx.url, app_id: 'wxa-app', app_secret: 'wxa-secret-value', timeout_ms: 300 },
      { id: 'signer', kind: 'jwt', issuer: signer.issuer, jwks_uri: signer.jwksUri, audience: 'plaza-at-host', algorithms: ['ES256'] },
      { id: 'rotating', kind: 'jwt', issuer: rotating.issuer, jwks_uri: rotating.jwksUri, audience: 'plaza-at-host', algorithms: ['ES256'] },
    ],
    clients: [MINI, NOT_ALLOWED, BOUND, WIDE, NO_APP_ID],
  });
  t.context = { server, wx, signer, rotating };
});
test.after.always(async (t) => {
  await t.context.server.stop();
  await t.context.wx.stop();
  await t.context.signer.stop();
  await t.context.rotating.stop();
});
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

function exchange(server: TestServer, params: Record<string, string>, client: { client_id: string; client_secret: string } = MINI) {
  return tokenRequest(server, { grant_type: TOKEN_EXCHANGE, client_id: client.client_id, client_secret: client.client_secret, ...params });
}

const withCode = (server: TestServer, code: string, host = 'wx-a', extra: Record<string, string> = {}, client: { client_id: string; client_secret: string } = MINI) =>
  exchange(server, { subject_token: code, subject_token_type: HOST_CODE, subject_issuer: host, scope: 'openid profile groups:read', ...extra }, client);

test('the first login creates the account, the next maps to the same sub, and the Plaza token works', async (t) => {
  const { server, wx } = t.context;
  const first = await withCode(server, wx.code('openid-1'));
  t.is(first.status, 200, JSON.stringify(first.body));
  t.is(first.body.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
  t.is(first.body.token_type, 'Bearer');
  t.truthy(first.body.expires_in);
  t.is(first.body.scope, 'groups:read');
  t.falsy(JSON.stringify(first.body).includes('sk-'), 'the host session_key never leaves Plaza');
  const idToken = decodeJwt(first.body.id_token);
  const at = decodeJwt(first.body.access_token);
  t.is(idToken.sub, at.sub);
  t.is(idToken.aud, 'mini');
  t.is(at.aud, `${server.url}/api`);

  const second = await withCode(server, wx.code('openid-1'));
  t.is(decodeJwt(second.body.access_token).sub, at.sub);
  const other = await withCode(server, wx.code('openid-2'));
  t.not(decodeJwt(other.body.access_token).sub, at.sub);

  const me = await api(server, 'GET', '/me', first.body.access_token);
  t.is(me.status, 200);
  t.is(me.body.sub, at.sub);
  t.is((await api(server, 'GET', '/groups', first.body.access_token)).status, 200);
  t.is((await api(server, 'GET', '/me', 'code-not-a-token')).status, 401, 'a host code is no Plaza token');
});

test('a mini-program\'s refresh token, redeemed without resource, gives a token for the API again', async (t) => {
  const { server, wx } = t.context;
  const first = await withCode(server, wx.code('openid-refresh'), 'wx-a', { scope: 'openid offline_access groups:read' });
  const refreshed = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: MINI.client_id, client_secret: MINI.client_secret });
  t.is(refreshed.status, 200, JSON.stringify(refreshed.body));
  t.is(decodeJwt(refreshed.body.access_token).aud, `${server.url}/api`);
  t.is((await api(server, 'GET', '/groups', refreshed.body.access_token)).status, 200);
});

test('the same unionid from two mini-programs of one platform is one Plaza account', async (t) => {
  const { server, wx } = t.context;
  const a = await withCode(server, wx.code('openid-in-a', 'union-42'), 'wx-a');
  const b = await withCode(server, wx.code('openid-in-b', 'union-42'), 'wx-b');
  t.is(decodeJwt(b.body.access_token).sub, decodeJwt(a.body.access_token).sub);
  const c = await withCode(server, wx.code('openid-in-b-2', 'union-43'), 'wx-b');
  t.not(decodeJwt(c.body.access_token).sub, decodeJwt(a.body.access_token).sub);
});

test('code2session failures: reused, bad, host error, garbage, timeout', async (t) => {
  const { server, wx } = t.context;
  const code = wx.code('openid-3');
  t.is((await withCode(server, code)).status, 200);
  const reused = await withCode(server, code);
  t.is(reused.body.error, 'invalid_grant');
  t.regex(reused.body.error_description, /errcode 40029/);
  t.is((await withCode(server, 'made-up')).body.error, 'invalid_grant');
  const busy = await withCode(server, 'busy');
  t.is(busy.body.error, 'invalid_grant');
  t.regex(busy.body.error_description, /system busy/);
  t.is((await withCode(server, 'garbage')).body.error, 'temporarily_unavailable');
  const slow = await withCode(server, 'slow', 'wx-slow');
  t.is(slow.body.error, 'temporarily_unavailable');
  t.regex(slow.body.error_description, /did not answer within 300 ms/);
  for (const res of [reused, busy, slow]) t.false(JSON.stringify(res.body).includes('secret-value'), 'the app secret never appears');
});

test('a host answer is read up to 64 KiB, then cut: an endless body fails at once, not at the time-out', async (t) => {
  const { server, wx } = t.context;
  const started = Date.now();
  const endless = await withCode(server, 'endless');
  t.is(endless.body.error, 'temporarily_unavailable');
  t.regex(endless.body.error_description, /oversized body/);
  t.true(Date.now() - started < 2000, 'well before the host\'s 3000 ms time-out');
  t.true(wx.endlessBytes < 4 * 1024 * 1024, `the host sent ${wx.endlessBytes} bytes before Plaza hung up`);
});

test('host URLs pass the outbound guard when registered and again on every call', async (t) => {
  const { server, signer } = t.context;
  const { admin } = server.plaza;
  const metadataService = 'http://169.254.169.254/latest/meta-data';
  for (const host of [
    { id: 'ssrf', kind: 'code2session', url: metadataService, app_id: 'a', app_secret: 's' },
    { id: 'ssrf', kind: 'code2session', url: 'https://[::7f00:1]/sns', app_id: 'a', app_secret: 's' },
    { id: 'ssrf', kind: 'jwt', issuer: 'https://ssrf.example', jwks_uri: 'https://10.0.0.1/jwks', audience: 'plaza-at-host' },
  ]) {
    await t.throwsAsync(admin.addHost(host), { name: 'InputError', message: /refused address/ }, host.url ?? host.jwks_uri);
  }
  // What a registration checked can change (DNS, an older Plaza's record): each call checks again.
  const hosts = server.plaza.store.collection<HostPlatform>(HOSTS);
  await hosts.put({ ...(await hosts.get('wx-slow'))!, id: 'moved-code', url: metadataService });
  await hosts.put({ ...(await hosts.get('signer'))!, id: 'moved-jwt', issuer: 'https://moved.example', jwksUri: 'http://169.254.169.254/jwks' });
  const code = await withCode(server, 'any-code', 'moved-code');
  t.is(code.body.error, 'temporarily_unavailable');
  t.regex(code.body.error_description, /host moved-code may not be called: the host resolves to a refused address \(169\.254\.169\.254\)/);
  const jwt = await exchange(server, { subject_token: await signer.token({ sub: 'u', iss: 'https://moved.example' }), subject_token_type: JWT, scope: 'openid' });
  t.is(jwt.body.error, 'temporarily_unavailable');
  t.regex(jwt.body.error_description, /host moved-jwt may not be called: .*169\.254\.169\.254/);
});

test('unknown host, missing subject_issuer, or a client not registered for the host', async (t) => {
  const { server, wx } = t.context;
  t.is((await withCode(server, wx.code('x'), 'nope')).body.error, 'invalid_request');
  t.is((await exchange(server, { subject_token: wx.code('x'), subject_token_type: HOST_CODE })).body.error, 'invalid_request');
  const refused = await withCode(server, wx.code('x'), 'wx-a', {}, NOT_ALLOWED);
  t.is(refused.body.error, 'unauthorized_client');
  t.is((await withCode(server, wx.code('x'), 'wx-a', { scope: 'admin' })).body.error, 'invalid_scope');
  t.is((await withCode(server, wx.code('x'), 'wx-a', {}, BOUND)).body.error, 'invalid_dpop_proof', 'a DPoP-bound client gets no Bearer tokens');
});

test('a host-signed JWT becomes Plaza tokens; bad signature, audience, issuer, expiry and algorithm are refused', async (t) => {
  const { server, signer } = t.context;
  const ok = await exchange(server, { subject_token: await signer.token({ sub: 'host-user-1', name: 'Hana' }), subject_token_type: JWT, scope: 'openid profile' });
  t.is(ok.status, 200, JSON.stringify(ok.body));
  t.is(decodeJwt(ok.body.id_token).name, undefined, 'a host login grants no profile');
  t.is((await api(server, 'GET', '/me', ok.body.access_token)).body.name, 'Hana', 'the new account has the host\'s name');
  const asIdToken = await exchange(server, { subject_token: await signer.token({ sub: 'host-user-1' }), subject_token_type: ID_TOKEN, subject_issuer: 'signer' });
  t.is(decodeJwt(asIdToken.body.access_token).sub, decodeJwt(ok.body.access_token).sub);

  const hostToken = await signer.token({ sub: 'host-user-1' });
  t.is((await api(server, 'GET', '/me', hostToken)).status, 401, 'the host token itself is refused by the API');

  const cases: [string, Promise<string>, string][] = [
    ['foreign key', signer.token({ sub: 'u' }, { key: 'foreign' }), 'invalid_grant'],
    ['wrong audience', signer.token({ sub: 'u', aud: 'someone-else' }), 'invalid_grant'],
    ['expired', signer.token({ sub: 'u' }, { expiresIn: '-5m' }), 'invalid_grant'],
    ['unregistered issuer', signer.token({ sub: 'u', iss: 'https://other.example' }), 'invalid_request'],
    ['HS256', new SignJWT({ sub: 'u', iss: signer.issuer, aud: 'plaza-at-host' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new Uint8Array(32)), 'invalid_grant'],
    ['not a JWT', Promise.resolve('not-a-jwt'), 'invalid_grant'],
  ];
  for (const [name, token, error] of cases) {
    const res = await exchange(server, { subject_token: await token, subject_token_type: JWT });
    t.is(res.body.error, error, name);
    t.is(typeof res.body.error_description, 'string', name);
  }
  const mismatch = await exchange(server, { subject_token: await signer.token({ sub: 'u' }), subject_token_type: JWT, subject_issuer: 'wx-a' });
  t.is(mismatch.body.error, 'invalid_request');
});

test('a host identity token is single-use, even when replays race each other', async (t) => {
  const { server, signer } = t.context;
  const token = await signer.token({ sub: 'single-use' });
  t.is((await exchange(server, { subject_token: token, subject_token_type: JWT })).status, 200);
  const replay = await exchange(server, { subject_token: token, subject_token_type: JWT });
  t.is(replay.body.error, 'invalid_grant');
  t.regex(replay.body.error_description, /already used/);
  t.is((await exchange(server, { subject_token: token, subject_token_type: ID_TOKEN })).body.error, 'invalid_grant', 'not under another token type either');

  const raced = await signer.token({ sub: 'single-use' });
  const results = await Promise.all(Array.from({ length: 6 }, () => exchange(server, { subject_token: raced, subject_token_type: JWT })));
  t.is(results.filter((r) => r.status === 200).length, 1);
  t.true(results.filter((r) => r.status !== 200).every((r) => r.body.error === 'invalid_grant'));
});

test('a host token is bound to its mini-program: another client cannot use it, whatever its scopes', async (t) => {
  const { server, signer } = t.context;
  const token = await signer.token({ sub: 'bound-user' });
  const stolen = await exchange(server, { subject_token: token, subject_token_type: JWT, scope: 'openid messages:post' }, WIDE);
  t.is(stolen.body.error, 'invalid_grant');
  t.regex(stolen.body.error_description, /another mini-program/);
  t.is((await exchange(server, { subject_token: token, subject_token_type: JWT }, MINI)).status, 200, 'the attempt did not burn the token');
  const inAudience = await signer.token({ sub: 'bound-user', azp: undefined, aud: ['plaza-at-host', 'wide-mini'] });
  t.is((await exchange(server, { subject_token: inAudience, subject_token_type: JWT }, WIDE)).status, 200, 'aud may name the mini-program instead of azp');
  t.is((await exchange(server, { subject_token: await signer.token({ sub: 'u' }), subject_token_type: JWT }, NO_APP_ID)).body.error, 'unauthorized_client');
  await t.throwsAsync(server.plaza.admin.createClient({ ...WIDE, plaza_host_app_ids: ['wide-mini'] }), { name: 'InputError', code: 'invalid_client_metadata', message: /plaza_host_app_ids/ });
  await t.throwsAsync(server.plaza.admin.createClient({ ...WIDE, plaza_host_app_ids: { signer: '' } }), { name: 'InputError', code: 'invalid_client_metadata' });
});

test('a host token without jti or exp, or living longer than ten minutes, is refused', async (t) => {
  const { server, signer } = t.context;
  const cases: [string, Promise<string>][] = [
    ['no jti', signer.token({ sub: 'u', jti: undefined })],
    ['no exp', signer.token({ sub: 'u' }, { expiresIn: null })],
    ['eleven minutes', signer.token({ sub: 'u' }, { expiresIn: '11m' })],
  ];
  for (const [name, token] of cases) {
    const res = await exchange(server, { subject_token: await token, subject_token_type: JWT });
    t.is(res.body.error, 'invalid_grant', name);
  }
  t.is((await exchange(server, { subject_token: await signer.token({ sub: 'u' }, { expiresIn: '10m' }), subject_token_type: JWT })).status, 200, 'ten minutes is fine');
});

test('a rotated host key is picked up from the JWKS', async (t) => {
  const { server, rotating: signer } = t.context;
  t.is((await exchange(server, { subject_token: await signer.token({ sub: 'rot-1' }), subject_token_type: JWT })).status, 200);
  const before = signer.jwksRequests;
  await signer.rotate();
  const after = await exchange(server, { subject_token: await signer.token({ sub: 'rot-1' }), subject_token_type: JWT });
  t.is(after.status, 200, JSON.stringify(after.body));
  t.true(signer.jwksRequests > before, 'the unknown kid made Plaza fetch the JWKS again');
});

test('the mini-program grant is an ordinary grant on My apps; the app secret is sealed at rest', async (t) => {
  const { server, wx } = t.context;
  const browser = new Browser();
  await codeFor(server, WEB, {}, { browser });
  const alicePage = await (await browser.fetch(`${server.url}/account/identities`)).text();
  const linked = await browser.postForm(`${server.url}/account/identities/link`, { _csrf: csrfOf(alicePage), host: 'wx-a', token: wx.code('alice-in-wx') });
  t.is(linked.status, 303);
  const page = await (await browser.fetch(`${server.url}/account/identities`)).text();
  t.regex(page, /alice-in-wx/);

  const res = await withCode(server, wx.code('alice-in-wx'));
  const aliceId = (await server.plaza.oidc.accounts.findByUsername(ALICE.username))!.id;
  const aliceSub = await server.plaza.oidc.subjects.of(MINI.client_id, aliceId);
  t.not(aliceSub, aliceId, 'a mini-program is a third-party app: it sees its own pairwise sub');
  t.is(decodeJwt(res.body.access_token).sub, aliceSub, 'the mini-program now signs alice into her own account');
  t.is(decodeJwt(res.body.id_token).sub, aliceSub);
  t.is((await api(server, 'GET', '/me', res.body.access_token)).body.sub, aliceSub, 'the same sub as any other token to that app');
  // Another mini-program at the same host signs her into the same account, and sees her under a sub of its own.
  const wide = await withCode(server, wx.code('alice-in-wx'), 'wx-a', {}, WIDE);
  t.is(decodeJwt(wide.body.access_token).sub, await server.plaza.oidc.subjects.of(WIDE.client_id, aliceId));
  t.not(decodeJwt(wide.body.access_token).sub, aliceSub);
  // Asked for `openid profile`, neither app learns her username: a host login asks her nothing, so no claim that two
  // apps could join their views by comes with it; the display name is still the one they show her.
  for (const login of [res, wide]) {
    t.like(decodeJwt(login.body.id_token), { preferred_username: undefined, email: undefined, name: undefined });
    t.like((await api(server, 'GET', '/me', login.body.access_token)).body, { username: undefined, name: ALICE.name });
  }
  const apps = await (await browser.fetch(`${server.url}/account/apps`)).text();
  t.regex(apps, /<h2>Hiking Mini-Program<\/h2>/);

  const taken = await browser.postForm(`${server.url}/account/identities/link`, { _csrf: csrfOf(page), host: 'wx-a', token: wx.code('openid-1') });
  t.is(taken.status, 409, 'an identity already linked to another account cannot be taken over');
  const unlinked = await browser.postForm(`${server.url}/account/identities/unlink`, { _csrf: csrfOf(page), host: 'wx-a', subject: 'alice-in-wx' });
  t.is(unlinked.status, 303);
  const fresh = await withCode(server, wx.code('alice-in-wx'));
  t.not(decodeJwt(fresh.body.access_token).sub, aliceSub);

  const stored = JSON.stringify(await server.plaza.store.collection<HostPlatform>(HOSTS).find({}));
  t.false(stored.includes('wxa-secret-value'));
  t.true(wx.seenSecrets.includes('wxa-secret-value'), 'but the host receives the real secret');
  const hosts = await server.plaza.admin.listHosts();
  t.false(JSON.stringify(hosts).includes('secret'));
});

test('bad host registrations are refused with a clear message', async (t) => {
  const { admin } = t.context.server.plaza;
  const bad: Record<string, unknown>[] = [
    { id: 'x', kind: 'other' },
    { id: 'Bad Id', kind: 'jwt' },
    { id: 'x', kind: 'code2session', url: 'ftp://host.example', app_id: 'a', app_secret: 's' },
    { id: 'x', kind: 'code2session', url: 'https://host.example' },
    { id: 'x', kind: 'jwt', issuer: 'https://i.example', jwks_uri: 'https://i.example/jwks', audience: 'a', algorithms: ['none'] },
    { id: 'x', kind: 'jwt', issuer: t.context.signer.issuer, jwks_uri: 'https://i.example/jwks', audience: 'a' },
    { id: 'x', kind: 'code2session', url: 'https://h.example', app_id: 'a', app_secret: 's', timeout_ms: 60_000 },
  ];
  for (const host of bad) await t.throwsAsync(admin.addHost(host), { name: 'InputError' }, JSON.stringify(host));
});

test('a mini-program a developer owns gets a union id in its login\'s id_token, shared with that developer\'s apps only', async (t) => {
  const { server, wx } = t.context;
  const owned = { ...MINI, client_id: 'mini-owned', client_secret: 'mini-owned-secret-0123456789-0123' };
  const sibling = { ...MINI, client_id: 'mini-owned-2', client_secret: 'mini-owned-2-secret-0123456789-01' };
  await server.plaza.admin.seed({ clients: [owned, sibling] });
  const developer = (await server.plaza.oidc.accounts.findByUsername('bob'))!.id;
  for (const app of [owned, sibling]) t.true(await server.plaza.oidc.clients.setStanding(app.client_id, { owner: developer }));
  const [a, b, unowned] = await Promise.all([owned, sibling, MINI].map(async (app) => decodeJwt((await withCode(server, wx.code('owned-user'), 'wx-a', {}, app)).body.id_token)));
  t.is(typeof a.union_id, 'string');
  t.is(b.union_id, a.union_id);
  t.not(b.sub, a.sub, 'each app keeps its own sub');
  t.is(unowned.union_id, undefined, 'an app without an owner gets none');
});
