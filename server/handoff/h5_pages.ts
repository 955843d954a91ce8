// The H5 page itself: Plaza serves it, and its script does the key-bound handoff in the browser.
import Router from '@koa/router';
import { tr, type MessageKey, type Views } from '../http/index.ts';
import { H5_CLIENT_ID } from './handoff.ts';

/** The texts the page's script shows, handed to it in the reader's language (the CSP runs no inline script). */
const SCRIPT_TEXTS = ['h5.no_code', 'h5.nonce_loop', 'h5.handoff_failed', 'h5.read_failed', 'h5.count', 'h5.empty'] as const satisfies readonly MessageKey[];

export function h5Pages(views: Views): Router {
  const router = new Router();
  router.get('/h5/groups/:id', (ctx) => {
    const t = tr(ctx);
    const texts = Object.fromEntries(SCRIPT_TEXTS.map((key) => [key, t(key)]));
    views.page(ctx, 'h5_group', { title: t('h5.title'), groupId: ctx.params.id, clientId: H5_CLIENT_ID, texts: JSON.stringify(texts) });
  });
  return router;
}
