// Apps a user added to a group, and the grants those additions, and the interactions with them, led to.
import type { Doc, Store } from '../store/index.ts';
import type { GrantTerms } from './tickets.ts';

export interface GroupApp extends Doc {
  groupId: string;
  sub: string;
  clientId: string;
  /** Standing actions: what the app may do there as this user at any time. */
  actions: string[];
  /** "Respond when asked": the app's triggers work in this group, for any member. */
  respond?: boolean;
  addedAt: number;
}

/** A grant created by redeeming a ticket: what the app may do, where, for whom. */
export interface ActionGrant extends Doc, GrantTerms {}

const idOf = (groupId: string, sub: string, clientId: string) => `${groupId}:${sub}:${clientId}`;

export class GroupApps {
  readonly #apps;
  readonly #grants;

  constructor(store: Store) {
    this.#apps = store.collection<GroupApp>({ name: 'group_apps', indexes: [{ field: 'groupId' }, { field: 'sub' }] });
    this.#grants = store.collection<ActionGrant>({ name: 'action_grants', indexes: [{ field: 'sub' }, { field: 'clientId' }] });
  }

  async add(input: Omit<GroupApp, 'id' | 'addedAt'>): Promise<GroupApp> {
    const app: GroupApp = { id: idOf(input.groupId, input.sub, input.clientId), ...input, addedAt: Date.now() };
    await this.#apps.put(app);
    return app;
  }

  async listFor(groupId: string, sub: string): Promise<GroupApp[]> {
    return (await this.#apps.find({ sub }, { orderBy: { field: 'addedAt' } })).filter((a) => a.groupId === groupId);
  }

  /** The apps some member let respond when asked in the group, the earliest added first, each once. */
  async respondersIn(groupId: string): Promise<string[]> {
    const apps = await this.#apps.find({ groupId }, { orderBy: { field: 'addedAt' } });
    return [...new Set(apps.filter((a) => a.respond).map((a) => a.clientId))];
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

  /** The interaction grants the app holds in the group, whoever asked; their records go too. */
  async takeInteractionGrants(groupId: string, clientId: string): Promise<string[]> {
    const grants = (await this.#grants.find({ clientId, groupId })).filter((g) => g.inReplyTo !== undefined);
    for (const g of grants) await this.#grants.delete(g.id);
    return grants.map((g) => g.id);
  }

  /** Grant ids the app holds for this group and user, but those `keep` accepts; their records go too. */
  async takeGrants(groupId: string, sub: string, clientId: string, keep: (terms: GrantTerms) => boolean = () => false): Promise<string[]> {
    const grants = (await this.#grants.find({ sub })).filter((g) => g.groupId === groupId && g.clientId === clientId && !keep(g));
    for (const g of grants) await this.#grants.delete(g.id);
    return grants.map((g) => g.id);
  }
}
