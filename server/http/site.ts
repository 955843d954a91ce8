// The landing page, the one stylesheet every page uses (the CSP allows no inline styles), and, outside
// production, a callback page for trying Plaza by hand: it shows what an app would receive.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Router from '@koa/router';
import type { Views } from './views.ts';

export function siteRoutes(views: Views, viewsDir: string, options: { issuer: string; demo: boolean }): Router {
  const css = readFileSync(join(viewsDir, 'static', 'plaza.css'));
  const router = new Router();
  router.get('/', (ctx) => views.page(ctx, 'home', { title: 'Welcome to Plaza' }));
  router.get('/static/plaza.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = css;
  });
  if (options.demo) {
    router.get('/demo/callback', (ctx) => {
      const param = (name: string) => (typeof ctx.query[name] === 'string' ? ctx.query[name] : '');
      views.page(ctx, 'demo_callback', {
        title: 'Demo app: callback', issuer: options.issuer,
        code: param('code'), state: param('state'), iss: param('iss'), error: param('error'), description: param('error_description'),
      });
    });
  }
  return router;
}
