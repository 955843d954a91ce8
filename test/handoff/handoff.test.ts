// H5 handoff over HTTP: access token → one-time handoff code → encrypted view token bound to the page's key.
import anyTest, { type TestFn } from 'ava';
import { compactDecrypt, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { HANDOFF_CODES, type HandoffCode } from '../../server/handoff/index.ts';
import { sha256url } from '../../server/store/index.ts';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { athOf, dpopKey, dpopProof, tokenRequest, type DpopKey } from '../helpers/oauth.ts';
import { seedBasics, SPA, WEB } from '../helpers/fixtures.ts';
import { api, userApiToken, TOKEN_EXCHANGE } from '../helpers/social.ts';

const HANDOFF = 'urn:plaza:token-type:handoff-code';
const ACCESS = 'urn:ietf:params:oauth:token-type:access_token';

const test = anyTest as TestFn<{ server: TestServer; backendToken: string }>;

test.before(async (t) => {
  const server = await startServer({ env: { VIEW_TOKEN_TTL: '120' } });
  await seedBasics(server);
  await server.plaza.admin.seed({ groups: [{ id: 'hiking', name: 'Weekend Hiking', members: ['alice'] }] });
  t.context = { server, backendToken: await userApiToken(server, undefined, 'groups:read messages:read') };
});
test.after.always(async (t) => { await t.context.server.stop(); });
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

function handoff(server: TestServer, subjectToken: string, extra: Record<string, string> = {}) {
  return tokenRequest(server, {
    grant_type: TOKEN_EXCHANGE, client_id: WEB.client_id, client_secret: WEB.client_secret,
    subject_token: subjectToken, subject_token_type: ACCESS, requested_token_type: HANDOFF, audience: 'plaza-h5', ...extra,
  });
}

async function pageKeys() {
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256' });
  return { dpop: await dpopKey(), ecdhPrivate: privateKey, ecdhPublic: await exportJWK(publicKey) };
}

async function redeem(server: TestServer, code: string, keys: Awaited<ReturnType<typeof pageKeys>> | undefined, extra: Record<string, string> = {}, dpop?: DpopKey) {
  const res = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(keys || dpop ? { dpop: await dpopProof(dpop ?? keys!.dpop, 'POST', `${server.url}/token`) } : {}),
    },
    body: new URLSearchParams({
      grant_type: TOKEN_EXCHANGE, client_id: 'plaza-h5', subject_token: code, subject_token_type: HANDOFF,
      ...(keys ? { response_encryption_jwk: JSON.stringify(keys.ecdhPublic) } : {}), ...extra,
    }),
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

test('the full handoff: code for the page, an encrypted view token bound to the page\'s key', async (t) => {
  const { server, backendToken } = t.context;
  const issued = await handoff(server, backendToken, { scope: 'messages:read' });
  t.is(issued.status, 200, JSON.stringify(issued.body));
  t.like(issued.body, { issued_token_type: HANDOFF, token_type: 'N_A', expires_in: 60, scope: 'messages:read' });
  const code = issued.body.access_token;
  t.is((await api(server, 'GET', '/me', code)).status, 401, 'a handoff code is accepted by no API');

  const keys = await pageKeys();
  const res = await redeem(server, code, keys);
  t.is(res.status, 200, res.text);
  t.is(res.type, 'application/jose');
  t.like(decodeProtectedHeader(res.text), { alg: 'ECDH-ES+A256KW', enc: 'A256GCM' });
  const view = JSON.parse(new TextDecoder().decode((await compactDecrypt(res.text, keys.ecdhPrivate)).plaintext));
  t.is(view.token_type, 'DPoP');
  t.is(view.refresh_token, undefined);
  t.true(view.expires_in <= 120);
  t.is(view.scope, 'messages:read');
  const claims = decodeJwt(view.access_token);
  t.deepEqual(claims.cnf, { jkt: keys.dpop.jkt });
  t.is(claims.client_id, 'plaza-h5');
  // The same user (the first-party backend knows her by her account id), as the page's own client knows her.
  t.is(claims.sub, await server.plaza.oidc.subjects.of('plaza-h5', decodeJwt(backendToken).sub as string));

  const url = `${server.url}/api/groups/hiking/messages`;
  const ok = await fetch(url, { headers: { authorization: `DPoP ${view.access_token}`, dpop: await dpopProof(keys.dpop, 'GET', url, { ath: athOf(view.access_token) }) } });
  t.is(ok.status, 200);
  t.is((await api(server, 'GET', '/groups/hiking/messages', view.access_token)).status, 401, 'useless as Bearer');
  const other = await dpopKey();
  const stolen = await fetch(url, { headers: { authorization: `DPoP ${view.access_token}`, dpop: await dpopProof(other, 'GET', url, { ath: athOf(view.access_token) }) } });
  t.is(stolen.status, 401, 'useless with another key');
  t.is((await redeem(server, code, await pageKeys())).status, 400, 'the code is single-use');
});

test('handoff refusals', async (t) => {
  const { server, backendToken } = t.context;
  const bad = async (res: Promise<Awaited<ReturnType<typeof handoff>>>, error: string) => t.is((await res).body.error, error);
  await bad(handoff(server, backendToken, { requested_token_type: '' }), 'invalid_request');
  await bad(handoff(server, backendToken, { scope: 'messages:post' }), 'invalid_scope');
  await bad(handoff(server, backendToken, { audience: 'nobody' }), 'invalid_target');
  await bad(handoff(server, backendToken, { audience: WEB.client_id }), 'invalid_target');
  await bad(handoff(server, 'not-a-token'), 'invalid_grant');
  const foreign = await tokenRequest(server, {
    grant_type: TOKEN_EXCHANGE, client_id: 'other', client_secret: 'other-secret-0123456789-01234567',
    subject_token: backendToken, subject_token_type: ACCESS, requested_token_type: HANDOFF, audience: 'plaza-h5',
  });
  t.is(foreign.body.error, 'invalid_grant', 'another client cannot hand off this token');

  const code = (await handoff(server, backendToken)).body.access_token;
  const keys = await pageKeys();
  t.regex((await redeem(server, code, undefined, { response_encryption_jwk: JSON.stringify(keys.ecdhPublic) })).text, /invalid_dpop_proof/);
  t.regex((await redeem(server, code, undefined, {}, keys.dpop)).text, /response_encryption_jwk/);
  const { privateKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
  t.regex((await redeem(server, code, undefined, { response_encryption_jwk: JSON.stringify(await exportJWK(privateKey)) }, keys.dpop)).text, /public EC P-256 key/);
  const asOther = await fetch(`${server.url}/token`, {
    method: 'POST', headers: { dpop: await dpopProof(keys.dpop, 'POST', `${server.url}/token`) },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', client_id: SPA.client_id, subject_token: code, subject_token_type: HANDOFF, response_encryption_jwk: JSON.stringify(keys.ecdhPublic) }),
  });
  t.is(asOther.status, 400, 'SPA has no token-exchange grant, let alone this code');
  t.is((await redeem(server, code, keys)).status, 200, 'the refusals above did not burn the code');

  const expiring = (await handoff(server, backendToken)).body.access_token;
  const codes = server.plaza.store.collection<HandoffCode>(HANDOFF_CODES);
  // Only this code: the other tests of this file run at the same time on the same server.
  t.truthy(await codes.update(sha256url(expiring), { expiresAt: Date.now() - 1 }));
  t.regex((await redeem(server, expiring, await pageKeys())).text, /unknown, expired or already used/);
});

test('a page cannot hand its own view token off again, and revoking the backend ends the page\'s access', async (t) => {
  const { server } = t.context;
  const backendToken = await userApiToken(server, undefined, 'messages:read');
  const code = (await handoff(server, backendToken)).body.access_token;
  const keys = await pageKeys();
  const res = await redeem(server, code, keys);
  t.is(res.status, 200, res.text);
  const view = JSON.parse(new TextDecoder().decode((await compactDecrypt(res.text, keys.ecdhPrivate)).plaintext));
  const renew = await tokenRequest(server, {
    grant_type: TOKEN_EXCHANGE, client_id: 'plaza-h5', subject_token: view.access_token, subject_token_type: ACCESS, requested_token_type: HANDOFF, audience: 'plaza-h5',
  }, { dpop: await dpopProof(keys.dpop, 'POST', `${server.url}/token`) });
  t.is(renew.body.error, 'unauthorized_client');

  const url = `${server.url}/api/groups/hiking/messages`;
  const read = async () => (await fetch(url, { headers: { authorization: `DPoP ${view.access_token}`, dpop: await dpopProof(keys.dpop, 'GET', url, { ath: athOf(view.access_token) }) } })).status;
  t.is(await read(), 200);
  await server.plaza.oidc.revokeGrant(decodeJwt(backendToken).grant_id as string);
  t.is(await read(), 401);
});

test('a handoff never carries groups:apps to a page that is not first-party', async (t) => {
  const { server } = t.context;
  const firstParty = await userApiToken(server, undefined, 'groups:apps messages:read');
  const issued = await handoff(server, firstParty, { scope: 'groups:apps messages:read' });
  t.is(issued.status, 200, JSON.stringify(issued.body));
  const keys = await pageKeys();
  const res = await redeem(server, issued.body.access_token, keys);
  t.is(res.status, 200, res.text);
  const view = JSON.parse(new TextDecoder().decode((await compactDecrypt(res.text, keys.ecdhPrivate)).plaintext));
  t.is(view.scope, 'messages:read');
  t.is(decodeJwt(view.access_token).scope, 'messages:read');
});
