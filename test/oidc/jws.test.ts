// Plaza's synchronous JWS checks (node:crypto) accept what jose signs and refuse what jose's jwtVerify refuses.
import test from 'ava';
import { generateKeyPairSync, sign } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { checkClaims, checkHeader, decodeJws, JwsError, JwtExpiredError, publicKeyOf, signatureValid } from '../../server/oidc/jws.ts';

const CHECKS = { typ: 'at+jwt', algorithms: ['ES256', 'RS256'], issuer: 'https://op.example', audience: 'https://op.example/api', requiredClaims: ['exp', 'jti'] };

async function signed(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, alg = 'ES256') {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const token = await new SignJWT({ jti: 'j1', ...claims }).setProtectedHeader({ alg, typ: 'at+jwt', ...header })
    .setIssuer('https://op.example').setAudience('https://op.example/api').setIssuedAt().setExpirationTime('5m').sign(privateKey);
  return { token, key: publicKeyOf(await exportJWK(publicKey)) };
}

async function verify(token: string, key: ReturnType<typeof publicKeyOf>) {
  const jws = decodeJws(token);
  const alg = checkHeader(jws, CHECKS);
  if (!await signatureValid(jws, key, alg)) throw new JwsError('signature verification failed');
  checkClaims(jws.payload, CHECKS);
  return jws.payload;
}

test('a token jose signed (ES256, RS256, PS256 via its own algorithms) verifies', async (t) => {
  for (const alg of ['ES256', 'RS256']) {
    const { token, key } = await signed({}, {}, alg);
    t.is((await verify(token, key)).jti, 'j1', alg);
  }
  const { token, key } = await signed({}, {}, 'PS256');
  const jws = decodeJws(token);
  t.true(await signatureValid(jws, key, 'PS256'));
});

test('a changed payload, another key, or a signature of the wrong length is refused', async (t) => {
  const { token, key } = await signed();
  const [h, , s] = token.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ jti: 'j2', iss: 'https://op.example', aud: 'https://op.example/api', exp: 2e9 })).toString('base64url')}.${s}`;
  await t.throwsAsync(() => verify(forged, key), { instanceOf: JwsError });
  const other = (await signed()).key;
  await t.throwsAsync(() => verify(token, other), { instanceOf: JwsError });
  await t.throwsAsync(() => verify(`${h}.${token.split('.')[1]}.${s.slice(0, 40)}`, key), { instanceOf: JwsError });
});

test('ECDSA signatures whose r or s starts with a zero byte or a set top bit verify (each is re-encoded as DER)', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt' })).toString('base64url');
  const seen = { zero: 0, high: 0, other: 0 };
  // A leading zero byte comes about once in 128 signatures: keep signing until each kind was verified (bounded).
  for (let i = 0; i < 5000 && (seen.zero < 2 || seen.high < 2 || seen.other < 2); i += 1) {
    const payload = Buffer.from(JSON.stringify({ jti: `j${i}` })).toString('base64url');
    const raw = sign('sha256', Buffer.from(`${header}.${payload}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const halves = [raw.subarray(0, 32), raw.subarray(32)];
    const kind = halves.some((h) => h[0] === 0) ? 'zero' : halves.some((h) => h[0] >= 0x80) ? 'high' : 'other';
    seen[kind] += 1;
    const jws = decodeJws(`${header}.${payload}.${raw.toString('base64url')}`);
    t.true(await signatureValid(jws, publicKey, 'ES256'), kind);
    const flipped = Buffer.from(raw);
    flipped[63] ^= 1;
    t.false(await signatureValid({ ...jws, signature: flipped }, publicKey, 'ES256'), `${kind}, one bit changed`);
  }
  t.true(seen.zero >= 2 && seen.high >= 2 && seen.other >= 2);
});

test('alg, typ and crit are checked before any key', async (t) => {
  const { token, key } = await signed({}, { typ: 'JWT' });
  await t.throwsAsync(() => verify(token, key), { message: /typ/ });
  const critHeader = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', crit: ['x'], x: 1 })).toString('base64url');
  await t.throwsAsync(() => verify(`${critHeader}.${token.split('.').slice(1).join('.')}`, key), { message: /crit/ });
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${token.split('.')[1]}.`;
  await t.throwsAsync(() => verify(none, key), { message: /alg/ });
  const es384 = await signed({}, {}, 'ES384');
  await t.throwsAsync(() => verify(es384.token, es384.key), { message: /alg/ }, 'an algorithm outside the allowed list');
  // A key of another type than the algorithm's never verifies.
  const rsa = await signed({}, {}, 'RS256');
  t.false(await signatureValid(decodeJws(rsa.token), key, 'RS256'));
  t.false(await signatureValid(decodeJws(rsa.token), rsa.key, 'ES256'));
});

test('iss, aud, required claims, exp and nbf are checked', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const payload = { jti: 'j', iss: CHECKS.issuer, aud: CHECKS.audience, exp: now + 60 };
  t.notThrows(() => checkClaims(payload, CHECKS));
  t.notThrows(() => checkClaims({ ...payload, aud: ['other', CHECKS.audience] }, CHECKS));
  t.throws(() => checkClaims({ ...payload, iss: 'https://evil.example' }, CHECKS), { message: /iss/ });
  t.throws(() => checkClaims({ ...payload, aud: 'other' }, CHECKS), { message: /aud/ });
  t.throws(() => checkClaims({ ...payload, jti: undefined }, CHECKS), { message: /jti/ });
  t.throws(() => checkClaims({ ...payload, exp: now }, CHECKS), { instanceOf: JwtExpiredError });
  t.throws(() => checkClaims({ ...payload, exp: String(now + 60) as never }, CHECKS), { message: /exp/ });
  t.throws(() => checkClaims({ ...payload, nbf: now + 30 }, CHECKS), { message: /nbf/ });
});

test('a JWK with private members, or an RSA key under 2048 bits, is refused', async (t) => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  t.throws(() => publicKeyOf(privateJwk), { message: /public/ });
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) as JWK;
  const { token } = await signed({}, {}, 'RS256');
  t.false(await signatureValid(decodeJws(token), publicKeyOf(small), 'RS256'));
});
