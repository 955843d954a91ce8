// Reference (c): a bare Koa that verifies the same ES256 JWT access token as Plaza's API, with jose, and answers a
// fixed JSON body, the page of messages Plaza answers: the crypto floor of a protected read.
import { readFileSync } from 'node:fs';
import Koa from 'koa';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

const [port, issuer, audience, jwks, pageFile] = process.argv.slice(2);
const keys = createLocalJWKSet(JSON.parse(jwks) as JSONWebKeySet);
const BODY = readFileSync(pageFile, 'utf8');
const app = new Koa();
app.use(async (ctx) => {
  const token = /^Bearer (\S+)$/.exec(ctx.get('authorization'))?.[1] ?? '';
  try {
    await jwtVerify(token, keys, { issuer, audience, typ: 'at+jwt', algorithms: ['ES256'] });
  } catch {
    ctx.status = 401;
    return;
  }
  ctx.type = 'application/json';
  ctx.body = BODY;
});
app.listen(Number(port), '127.0.0.1');
