// The landing page and static files: Plaza's stylesheet and scripts (the CSP allows no inline ones), jose's
// browser build for the H5 page, and swagger-ui for the API reference. Files are read once at start, so no request path ever reaches the file system.
// Outside production, a callback page for trying Plaza by hand shows what an app would receive.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative } from 'node:path';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { VIEWER_FILES, VIEWER_PREFIX } from './api_docs.ts';
import { errorView } from './error_view.ts';
import { tr } from './i18n.ts';
import type { Viewer, Views } from './views.ts';

const TYPES: Record<string, string> = { '.css': 'text/css', '.js': 'text/javascript', '.svg': 'image/svg+xml' };

function filesUnder(dir: string, urlPrefix: string, into: Map<string, { type: string; body: Buffer }>): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const type = TYPES[extname(entry.name)];
    if (!entry.isFile() || !type) continue;
    const file = join(entry.parentPath, entry.name);
    into.set(`${urlPrefix}/${relative(dir, file).split('\\').join('/')}`, { type, body: readFileSync(file) });
  }
}

export function staticFiles(viewsDir: string): Middleware {
  const files = new Map<string, { type: string; body: Buffer }>();
  filesUnder(join(viewsDir, 'static'), '/static', files);
  filesUnder(dirname(createRequire(import.meta.url).resolve('jose')), '/static/vendor/jose', files);
  for (const { path, file } of VIEWER_FILES) files.set(path, { type: TYPES[extname(file)], body: readFileSync(file) });
  // Browsers ask for /favicon.ico whatever the page links to; both answer the one icon.
  const icon = files.get('/static/favicon.svg');
  if (icon) for (const path of ['/favicon.svg', '/favicon.ico']) files.set(path, icon);
  return async (ctx, next) => {
    const file = ctx.method === 'GET' ? files.get(ctx.path) : undefined;
    if (!file) return next();
    ctx.type = file.type;
    // The API viewer's path names its version, so it never changes under one URL.
    ctx.set('Cache-Control', ctx.path.startsWith(VIEWER_PREFIX) ? 'public, max-age=31536000, immutable' : 'public, max-age=3600');
    ctx.body = file.body;
  };
}

export function siteRoutes(views: Views, options: { issuer: string; demo: boolean; viewer(ctx: Context): Promise<Viewer | undefined> }): Router {
  const router = new Router();
  router.get('/', async (ctx) => {
    ctx.state.viewer = await options.viewer(ctx);
    views.page(ctx, 'home', { title: tr(ctx)('home.title') });
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

/** What no route answered: a page that says so, in the reader's language, instead of Koa's bare "Not Found". */
export function notFoundPage(views: Views): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 404 || ctx.body !== undefined && ctx.body !== null || !['GET', 'HEAD'].includes(ctx.method)) return;
    views.page(ctx, 'error', errorView(ctx, { status: 404 }), 404);
  };
}
