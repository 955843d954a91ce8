// Reference (c): a bare Koa that verifies the same ES256 JWT access token as Plaza's API, with jose, and answers a
// fixed JSON body: the crypto floor of a protected read.
import Koa from 'koa';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

const [port, issuer, audience, jwks] = process.argv.slice(2);
const keys = createLocalJWKSet(JSON.parse(jwks) as JSONWebKeySet);
const BODY = [{ id: 'bench', group_id: 'bench', author: 'bench', via: null, text: 'benchmark message', created_at: new Date(0).toISOString() }];
const app = new Koa();
app.use(async (ctx) => {
  const token = /^Bearer (\S+)$/.exec(ctx.get('authorization'))?.[1] ?? '';
  try {
    await jwtVerify(token, keys, { issuer, audience, typ: 'at+jwt', algorithms: ['ES256'] });
  } catch {
    ctx.status = 401;
    return;
  }
  ctx.body = BODY;
});
app.listen(Number(port), '127.0.0.1');
