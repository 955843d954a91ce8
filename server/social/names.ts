// Names people read instead of ids, for the pages: of apps, groups, people and messages. Kept per request.
import type { Accounts, Clients } from '../oidc/index.ts';
import type { Names } from './activity_sentences.ts';
import type { Groups } from './groups.ts';
import type { Messages } from './messages.ts';

export interface PageNames extends Names {
  user(sub: string): Promise<string>;
}

export function pageNames(deps: { accounts: Accounts; clients: Clients; groups: Groups; messages: Messages }): PageNames {
  const cache = new Map<string, Promise<string | undefined>>();
  const once = (key: string, load: () => Promise<string | undefined>) => {
    if (!cache.has(key)) cache.set(key, load());
    return cache.get(key)!;
  };
  return {
    app: async (id) => await once(`app:${id}`, async () => {
      const name = (await deps.clients.get(id))?.client_name;
      return typeof name === 'string' ? name : undefined;
    }) ?? id,
    user: async (id) => await once(`user:${id}`, async () => (await deps.accounts.find(id))?.name) ?? id,
    group: (id) => once(`group:${id}`, async () => (await deps.groups.get(id))?.name),
    message: async (groupId, id) => (await deps.messages.get(groupId, id))?.text,
  };
}
