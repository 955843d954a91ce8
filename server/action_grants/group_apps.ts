// Apps a user added to a group, and the grants those additions led to.
import type { Doc, Store } from '../store/index.ts';

export interface GroupApp extends Doc {
  groupId: string;
  sub: string;
  clientId: string;
  actions: string[];
  addedAt: number;
}

/** A grant created by redeeming an action ticket: what the app may do, where, for whom. */
export interface ActionGrant extends Doc {
  sub: string;
  clientId: string;
  groupId: string;
  actions: string[];
}

const idOf = (groupId: string, sub: string, clientId: string) => `${groupId}:${sub}:${clientId}`;

export class GroupApps {
  readonly #apps;
  readonly #grants;

  constructor(store: Store) {
    this.#apps = store.collection<GroupApp>({ name: 'group_apps', indexes: [{ field: 'groupId' }, { field: 'sub' }] });
    this.#grants = store.collection<ActionGrant>({ name: 'action_grants', indexes: [{ field: 'sub' }] });
  }

  async add(input: Omit<GroupApp, 'id' | 'addedAt'>): Promise<GroupApp> {
    const app: GroupApp = { id: idOf(input.groupId, input.sub, input.clientId), ...input, addedAt: Date.now() };
    await this.#apps.put(app);
    return app;
  }

  async listFor(groupId: string, sub: string): Promise<GroupApp[]> {
    return (await this.#apps.find({ sub }, { orderBy: { field: 'addedAt' } })).filter((a) => a.groupId === groupId);
  }

  async remove(groupId: string, sub: string, clientId: string): Promise<boolean> {
    return this.#apps.delete(idOf(groupId, sub, clientId));
  }

  async recordGrant(grant: ActionGrant): Promise<void> {
    await this.#grants.put(grant);
  }

  async forgetGrant(grantId: string): Promise<void> {
    await this.#grants.delete(grantId);
  }

  async grant(grantId: string): Promise<ActionGrant | undefined> {
    return this.#grants.get(grantId);
  }

  /** The apps holding grants for this user in this group. */
  async grantHolders(groupId: string, sub: string): Promise<string[]> {
    return (await this.#grants.find({ sub })).filter((g) => g.groupId === groupId).map((g) => g.clientId);
  }

  /** Grant ids the app holds for this group and user, but those `keep` accepts; their records go too. */
  async takeGrants(groupId: string, sub: string, clientId: string, keep: (actions: string[]) => boolean = () => false): Promise<string[]> {
    const grants = (await this.#grants.find({ sub })).filter((g) => g.groupId === groupId && g.clientId === clientId && !keep(g.actions));
    for (const g of grants) await this.#grants.delete(g.id);
    return grants.map((g) => g.id);
  }
}
