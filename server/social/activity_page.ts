// Activity: everything done with the user's account, in sentences, newest first, by app and by group, a page at a time.
import Router from '@koa/router';
import { tr, type Views } from '../http/index.ts';
import type { BrowserSession } from '../oidc/index.ts';
import { sentenceOf, type Names } from './activity_sentences.ts';
import type { AuditLog } from './audit.ts';
import type { Groups } from './groups.ts';

const PAGE_SIZE = 20;
/** How far back the app filter looks for the apps that acted. */
const APPS_SCANNED = 500;

export interface ActivityPageDeps {
  session: BrowserSession;
  views: Views;
  audit: AuditLog;
  groups: Groups;
  /** Names for one request. */
  names(): Names;
}

const param = (value: unknown) => (typeof value === 'string' && value.length <= 200 ? value : '');

export function activityPage(deps: ActivityPageDeps): Router {
  const { session, views, audit, groups } = deps;
  const router = new Router();

  router.get('/account/activity', async (ctx) => {
    const account = await session.require(ctx);
    if (!account) return;
    const t = tr(ctx);
    const names = deps.names();
    const filter = { via: param(ctx.query.app), groupId: param(ctx.query.group) };
    const before = Number(param(ctx.query.before)) || undefined;
    const entries = await audit.page(account.id, { ...filter, before }, PAGE_SIZE + 1);
    const shown = entries.slice(0, PAGE_SIZE);
    const items = [];
    for (const entry of shown) items.push({ at: entry.at, ...await sentenceOf(entry, names, t) });
    const appIds = [...new Set((await audit.listFor(account.id, APPS_SCANNED)).flatMap((e) => (e.via ? [e.via] : [])))];
    const apps = [];
    for (const id of appIds) apps.push({ id, name: await names.app(id) });
    const query = (extra: Record<string, string>) => `?${new URLSearchParams({ ...(filter.via ? { app: filter.via } : {}), ...(filter.groupId ? { group: filter.groupId } : {}), ...extra })}`;
    views.page(ctx, 'activity', {
      title: t('activity.title'), items, filter, apps, groups: await groups.groupsOf(account.id),
      older: entries.length > PAGE_SIZE ? query({ before: String(shown.at(-1)!.at) }) : '',
      newer: before ? query({}) : '',
    });
  });

  return router;
}
