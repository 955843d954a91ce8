// RFC 9449 at the protected API: the OpenID conformance suite's DPoP negative cases, replay across two Plaza
// processes on one store, and server nonces at the API and the token endpoint.
import anyTest, { type TestFn } from 'ava';
import { randomUUID } from 'node:crypto';
import { CompactSign, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { athOf, dpopKey, dpopProof, tokenRequest, type DpopKey } from '../helpers/oauth.ts';
import { codeFor, redeemCode, seedBasics, REDIRECT_URI, WEB } from '../helpers/fixtures.ts';
import { TOKEN_EXCHANGE } from '../helpers/social.ts';

const SPA_BOUND = {
  client_id: 'bound-spa', client_name: 'Bound SPA', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT_URI],
  grant_types: ['authorization_code'], response_types: ['code'], dpop_bound_access_tokens: true,
};

const test = anyTest as TestFn<{ server: TestServer; key: DpopKey; token: string }>;

async function boundToken(server: TestServer, key: DpopKey, nonce?: string): Promise<string> {
  const { code, verifier } = await codeFor(server, SPA_BOUND, { scope: 'groups:read', resource: `${server.url}/api`, dpop_jkt: key.jkt });
  const res = await redeemCode(server, code, verifier, SPA_BOUND, { resource: `${server.url}/api` }, { dpop: await dpopProof(key, 'POST', `${server.url}/token`, nonce ? { nonce } : {}) });
  if (res.status !== 200) throw Object.assign(new Error(JSON.stringify(res.body)), { res });
  return res.body.access_token;
}

test.before(async (t) => {
  const server = await startServer();
  await seedBasics(server);
  await server.plaza.admin.seed({ clients: [SPA_BOUND] });
  const key = await dpopKey();
  t.context = { server, key, token: await boundToken(server, key) };
});
test.after.always(async (t) => { await t.context.server.stop(); });

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

test('DPoP negative cases at the API are all 401 with a problem body', async (t) => {
  const { server, key, token } = t.context;
  const url = `${server.url}/api/me`;
  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({ htm: 'GET', htu: url, jti: randomUUID(), iat: now(), ath: athOf(token) });
  const header = { alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk };
  const sign = (h: Record<string, unknown>, p: Record<string, unknown>) => new CompactSign(new TextEncoder().encode(JSON.stringify(p))).setProtectedHeader(h as never).sign(key.privateKey);
  const without = (o: Record<string, unknown>, name: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== name));
  const { privateKey: rsaPrivate } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = await exportJWK(rsaPrivate);
  const reused = await sign(header, claims());
  t.is((await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: reused } })).status, 200, 'a good proof passes');

  const cases: [string, string | string[]][] = [
    ['two DPoP headers', [await sign(header, claims()), await sign(header, claims())]],
    ['malformed JWT', 'not.a.jwt'],
    ['missing typ', await sign(without(header, 'typ'), claims())],
    ['missing alg', `${b64(without(header, 'alg'))}.${b64(claims())}.AAAA`],
    ['missing jwk', await sign(without(header, 'jwk'), claims())],
    ['missing jti', await sign(header, without(claims(), 'jti'))],
    ['missing htm', await sign(header, without(claims(), 'htm'))],
    ['missing htu', await sign(header, without(claims(), 'htu'))],
    ['missing iat', await sign(header, without(claims(), 'iat'))],
    ['wrong typ', await sign({ ...header, typ: 'JWT' }, claims())],
    ['alg none', `${b64({ ...header, alg: 'none' })}.${b64(claims())}.`],
    ['HS256', await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.jwk } as never).sign(new Uint8Array(32))],
    ['private key in jwk', await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: privateJwk }).sign(rsaPrivate)],
    ['wrong htm', await sign(header, { ...claims(), htm: 'POST' })],
    ['other htu', await sign(header, { ...claims(), htu: `${server.url}/api/groups` })],
    ['iat an hour ago', await sign(header, { ...claims(), iat: now() - 3600 })],
    ['iat an hour ahead', await sign(header, { ...claims(), iat: now() + 3600 })],
    ['reused jti', reused],
    ['wrong ath', await sign(header, { ...claims(), ath: athOf('another token') })],
  ];
  for (const [name, proof] of cases) {
    const headers = new Headers({ authorization: `DPoP ${token}` });
    for (const p of [proof].flat()) headers.append('dpop', p);
    const res = await fetch(url, { headers });
    t.is(res.status, 401, name);
    t.is(res.headers.get('content-type'), 'application/problem+json', name);
    t.regex(res.headers.get('www-authenticate') ?? '', /DPoP|Bearer/, name);
  }
  const bearer = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  t.is(bearer.status, 401, 'bound token sent as Bearer');
  t.deepEqual(t.context.server.serverErrors, []);
});

test('a DPoP proof replayed to another Plaza process on the same store is refused', async (t) => {
  const { server, key, token } = t.context;
  const second = await startServer({ storeOf: server, env: { ISSUER: server.url } });
  t.teardown(() => second.plaza.close());
  const url = `${server.url}/api/me`;
  const proof = await dpopProof(key, 'GET', url, { ath: athOf(token) });
  t.is((await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: proof } })).status, 200);
  // Same issuer and store, another process listening elsewhere: the proof's jti is already known.
  const replay = await fetch(`${second.plaza.url}/api/me`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
  t.is(replay.status, 401);
  t.regex((await replay.json() as { detail: string }).detail, /already used/);
});

test('one replay record: a proof oidc-provider accepted at /token is refused by Plaza\'s own check there, and the other way round', async (t) => {
  const { server } = t.context;
  const key = await dpopKey();
  const resource = `${server.url}/api`;
  const { code, verifier } = await codeFor(server, WEB, { scope: 'groups:read', resource });
  const refreshToken = (await redeemCode(server, code, verifier, WEB, { resource })).body.refresh_token;
  const web = { client_id: WEB.client_id, client_secret: WEB.client_secret };
  const refresh = (proof: string) => tokenRequest(server, { grant_type: 'refresh_token', refresh_token: refreshToken, resource, ...web }, { dpop: proof });
  // Token exchange is Plaza's own grant: Plaza checks its proof, with oidc-provider's endpoint around it.
  const handoff = (subjectToken: string, proof: string) => tokenRequest(server, {
    grant_type: TOKEN_EXCHANGE, subject_token: subjectToken, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    requested_token_type: 'urn:plaza:token-type:handoff-code', audience: 'plaza-h5', ...web,
  }, { dpop: proof });

  const first = await dpopProof(key, 'POST', `${server.url}/token`);
  const refreshed = await refresh(first);
  t.is(refreshed.status, 200, JSON.stringify(refreshed.body));
  const bound = refreshed.body.access_token;
  const replayed = await handoff(bound, first);
  t.is(replayed.status, 400);
  t.like(replayed.body, { error: 'invalid_dpop_proof', error_description: 'the DPoP proof was already used' });

  const second = await dpopProof(key, 'POST', `${server.url}/token`);
  t.is((await handoff(bound, second)).status, 200);
  const again = await refresh(second);
  t.is(again.status, 400);
  t.is(again.body.error, 'invalid_grant');
});

test('server nonces: the API and the token endpoint ask for one, and accept the one they gave', async (t) => {
  const server = await startServer({ env: { DPOP_REQUIRE_NONCE: '1' } });
  t.teardown(() => server.stop());
  await seedBasics(server);
  await server.plaza.admin.seed({ clients: [SPA_BOUND] });
  const key = await dpopKey();

  const first = await t.throwsAsync(boundToken(server, key)) as Error & { res: Awaited<ReturnType<typeof tokenRequest>> };
  t.is(first.res.body.error, 'use_dpop_nonce');
  const nonce = first.res.headers.get('dpop-nonce')!;
  t.truthy(nonce);
  const token = await boundToken(server, key, nonce);

  const url = `${server.url}/api/me`;
  const without = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(key, 'GET', url, { ath: athOf(token) }) } });
  t.is(without.status, 401);
  t.regex(without.headers.get('www-authenticate')!, /use_dpop_nonce/);
  const apiNonce = without.headers.get('dpop-nonce')!;
  const withNonce = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(key, 'GET', url, { ath: athOf(token), nonce: apiNonce }) } });
  t.is(withNonce.status, 200);
  const forged = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(key, 'GET', url, { ath: athOf(token), nonce: 'made-up' }) } });
  t.is(forged.status, 401);
});
