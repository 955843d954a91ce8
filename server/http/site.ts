// The landing page and the one stylesheet every page uses (the CSP allows no inline styles).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Router from '@koa/router';
import type { Views } from './views.ts';

export function siteRoutes(views: Views, viewsDir: string): Router {
  const css = readFileSync(join(viewsDir, 'static', 'plaza.css'));
  const router = new Router();
  router.get('/', (ctx) => views.page(ctx, 'home', { title: 'Welcome to Plaza' }));
  router.get('/static/plaza.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = css;
  });
  return router;
}
