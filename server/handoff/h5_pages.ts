// The H5 page itself: Plaza serves it, and its script does the key-bound handoff in the browser.
import Router from '@koa/router';
import type { Views } from '../http/index.ts';
import { H5_CLIENT_ID } from './handoff.ts';

export function h5Pages(views: Views): Router {
  const router = new Router();
  router.get('/h5/groups/:id', (ctx) => {
    views.page(ctx, 'h5_group', { title: 'Group', groupId: ctx.params.id, clientId: H5_CLIENT_ID });
  });
  return router;
}
