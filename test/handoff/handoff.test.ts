// H5 handoff over HTTP: access token → one-time handoff code → encrypted view token bound to the page's key.
import anyTest, { type TestFn } from 'ava';
import { compactDecrypt, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { HANDOFF_CODES, type HandoffCode } from '../../server/handoff/index.ts';
import { sha256url } from '../../server/store/index.ts';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { athOf, dpopKey, dpopProof, tokenRequest, type DpopKey } from '../helpers/oauth.ts';
import { ALICE, OTHER_WEB, seedBasics, SPA, WEB } from '../helpers/fixtures.ts';
import { api, userApiToken, TOKEN_EXCHANGE } from '../helpers/social.ts';

const HANDOFF = 'urn:plaza:token-type:handoff-code';
const ACCESS = 'urn:ietf:params:oauth:token-type:access_token';

/** A second third-party backend, of another developer than OTHER_WEB's. */
const THIRD_WEB = { ...OTHER_WEB, client_id: 'third', client_secret: 'third-secret-0123456789-01234567', client_name: 'Third App' };

const test = anyTest as TestFn<{ server: TestServer; backendToken: string }>;

test.before(async (t) => {
  const server = await startServer({ env: { VIEW_TOKEN_TTL: '120' } });
  await seedBasics(server);
  await server.plaza.admin.seed({ clients: [THIRD_WEB] });
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
  // The same user, named as the backend knows her (this first-party one by her account id).
  t.is(claims.sub, decodeJwt(backendToken).sub);

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

/** The view token a backend gets by redeeming its own handoff code as the public H5 client, which anyone may do. */
async function viewTokenFor(server: TestServer, backend: { client_id: string; client_secret: string }) {
  const token = await userApiToken(server, ALICE, 'groups:read messages:read', backend);
  const issued = await handoff(server, token, { client_id: backend.client_id, client_secret: backend.client_secret });
  if (issued.status !== 200) throw new Error(JSON.stringify(issued.body));
  const keys = await pageKeys();
  const res = await redeem(server, issued.body.access_token, keys);
  const view = JSON.parse(new TextDecoder().decode((await compactDecrypt(res.text, keys.ecdhPrivate)).plaintext));
  const get = async (path: string) => {
    const url = `${server.url}/api${path}`;
    return (await fetch(url, { headers: { authorization: `DPoP ${view.access_token}`, dpop: await dpopProof(keys.dpop, 'GET', url, { ath: athOf(view.access_token) }) } })).json();
  };
  return { view: view.access_token as string, get };
}

test('a page names the user as its backend does: two backends handing off the same user get no shared sub', async (t) => {
  const { server } = t.context;
  const aliceId = (await server.plaza.oidc.accounts.findByUsername(ALICE.username))!.id;
  await userApiToken(server, ALICE, 'messages:post', WEB).then((token) => api(server, 'POST', '/groups/hiking/messages', token, { text: 'seen by pages' }));
  const seen: Record<string, unknown[]> = {};
  for (const backend of [OTHER_WEB, THIRD_WEB]) {
    const { view, get } = await viewTokenFor(server, backend);
    const authors = (await get('/groups/hiking/messages') as { author: string }[]).map((m) => m.author);
    seen[backend.client_id] = [decodeJwt(view).sub, (await get('/me')).sub, ...new Set(authors)];
    t.deepEqual(new Set(seen[backend.client_id]), new Set([await server.plaza.oidc.subjects.of(backend.client_id, aliceId)]), backend.client_id);
  }
  t.not(seen.other[0], seen.third[0]);
});

test('a backend\'s token whose sub is not its grant\'s user is refused a handoff', async (t) => {
  const { server } = t.context;
  const { provider, subjects, accounts } = server.plaza.oidc;
  const token = await userApiToken(server, ALICE, 'messages:read', OTHER_WEB);
  const bobId = (await accounts.findByUsername('bob'))!.id;
  // Plaza's own key signs it, under alice's grant for the backend, naming bob: only the handoff's grant check can tell.
  const forged = new provider.AccessToken({ accountId: bobId, client: (await provider.Client.find(OTHER_WEB.client_id))!, grantId: decodeJwt(token).grant_id as string, gty: 'authorization_code', scope: 'messages:read' });
  forged.resourceServer = new provider.ResourceServer(`${server.url}/api`, {
    scope: 'messages:read', audience: `${server.url}/api`, accessTokenFormat: 'jwt', accessTokenTTL: 60, jwt: { sign: { alg: 'ES256' } },
  });
  const value = await forged.save();
  t.is(decodeJwt(value).sub, await subjects.of(OTHER_WEB.client_id, bobId));
  const backend = { client_id: OTHER_WEB.client_id, client_secret: OTHER_WEB.client_secret };
  const refused = await handoff(server, value, backend);
  t.is(refused.status, 400);
  t.is(refused.body.error, 'invalid_grant');
  t.regex(refused.body.error_description, /not the user of its grant/);
  t.is((await handoff(server, token, backend)).status, 200, 'the grant\'s own token is handed off');
});
