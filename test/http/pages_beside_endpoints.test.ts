import test from 'ava';
import Router from '@koa/router';
import Koa from 'koa';
import Provider from 'oidc-provider';
import { pagesBesideEndpoints } from '../../server/http/index.ts';

/** Serves the page routers as Plaza does, with a fallback that stands for oidc-provider's own routes. */
async function serve(routers: Router[]) {
  const provider = new Provider('http://127.0.0.1', {});
  const app = new Koa();
  app.use(pagesBesideEndpoints(provider, routers));
  app.use((ctx) => { ctx.body = 'oidc-provider'; });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

test('a request for a machine endpoint goes past the page routers; a page route at an endpoint path is still served', async (t) => {
  const everywhere = new Router();
  everywhere.use(async (_ctx, next) => { await next(); });
  everywhere.get('/page', (ctx) => { ctx.body = 'page'; });
  const atJwks = new Router();
  atJwks.get('/jwks', (ctx) => { ctx.body = 'a page at /jwks'; });
  const server = await serve([everywhere, atJwks]);
  t.teardown(server.close);
  // Which paths the page router is asked to match, once Plaza is serving.
  const asked: string[] = [];
  const match = everywhere.match.bind(everywhere);
  everywhere.match = (path, method) => { asked.push(path); return match(path, method); };

  t.is(await (await fetch(`${server.url}/token`, { method: 'POST' })).text(), 'oidc-provider');
  t.is(await (await fetch(`${server.url}/page`)).text(), 'page');
  t.is(await (await fetch(`${server.url}/jwks`)).text(), 'a page at /jwks');
  t.deepEqual(asked, ['/page', '/jwks'], 'the page routers are not asked about /token');
});
