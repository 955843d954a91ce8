// Groups and their members. The social API and its grant checks build on this.
import { InputError } from '../http/index.ts';
import type { CollectionSpec, Doc, Store } from '../store/index.ts';

export interface Group extends Doc {
  name: string;
  createdAt: number;
}

export interface Membership extends Doc {
  groupId: string;
  sub: string;
  joinedAt: number;
}

export const GROUP_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const GROUP_ID_SCHEMA = { type: 'string', pattern: GROUP_ID.source };

/** Told before a membership ends, however it ends, so that what was granted there ends first. */
export type MemberLeaving = (groupId: string, sub: string) => Promise<void>;

export const MEMBERSHIPS: CollectionSpec = { name: 'memberships', indexes: [{ field: 'groupId' }, { field: 'sub' }] };

export class Groups {
  readonly #groups;
  readonly #members;
  readonly #leaving: MemberLeaving[] = [];

  constructor(store: Store) {
    this.#groups = store.collection<Group>({ name: 'groups' });
    this.#members = store.collection<Membership>(MEMBERSHIPS);
  }

  /** Creates the group, or renames an existing one (seeding is idempotent). */
  async upsert(input: { id: unknown; name?: unknown }): Promise<Group> {
    if (typeof input.id !== 'string' || !GROUP_ID.test(input.id)) throw new InputError('group id must be 1-64 letters, digits, "_" or "-"');
    const name = typeof input.name === 'string' && input.name.trim() ? input.name.trim().slice(0, 200) : input.id;
    const existing = await this.#groups.get(input.id);
    if (existing) return (await this.#groups.update(existing.id, { name }))!;
    const group: Group = { id: input.id, name, createdAt: Date.now() };
    await this.#groups.put(group);
    return group;
  }

  async get(id: string): Promise<Group | undefined> {
    return this.#groups.get(id);
  }

  async list(): Promise<Group[]> {
    return this.#groups.find({}, { orderBy: { field: 'id' } });
  }

  async addMember(groupId: string, sub: string): Promise<boolean> {
    return this.#members.insert({ id: `${groupId}:${sub}`, groupId, sub, joinedAt: Date.now() });
  }

  onMemberLeaving(listener: MemberLeaving): void {
    this.#leaving.push(listener);
  }

  /** Leaving, or being removed by the operator. Listeners run first: a crash in between leaves a member with less, never more. */
  async removeMember(groupId: string, sub: string): Promise<boolean> {
    for (const listener of this.#leaving) await listener(groupId, sub);
    return this.#members.delete(`${groupId}:${sub}`);
  }

  async isMember(groupId: string, sub: string): Promise<boolean> {
    return (await this.#members.get(`${groupId}:${sub}`)) !== undefined;
  }

  async members(groupId: string): Promise<string[]> {
    return (await this.#members.find({ groupId })).map((m) => m.sub);
  }

  async groupsOf(sub: string): Promise<Group[]> {
    const memberships = await this.#members.find({ sub });
    const groups = await Promise.all(memberships.map((m) => this.#groups.get(m.groupId)));
    return groups.filter((g): g is Group => g !== undefined);
  }
}
