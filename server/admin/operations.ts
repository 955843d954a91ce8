// What an operator can do. The CLI and the admin HTTP API both call these, so they behave the same.
import { InputError, validator, type JsonSchema } from '../http/index.ts';
import { resealMeta, type SecretBox, type Store } from '../store/index.ts';
import { ACCOUNT_INPUT, isVerified, rotateKeys, viewAccount, type AccountView, type ClientMetadata, type Oidc } from '../oidc/index.ts';
import { GROUP_ID_SCHEMA, type Groups } from '../social/index.ts';
import { HOST_INPUT, type HostPlatforms, type HostView } from '../mini_programs/index.ts';
import type { TerminalAdmin, TerminalView } from '../terminals/index.ts';

export interface AdminDeps {
  store: Store;
  box: SecretBox;
  oidc: Pick<Oidc, 'accounts' | 'clients' | 'revokeClientGrants' | 'initialAccessTokens'>;
  groups: Groups;
  hosts: HostPlatforms;
  terminals: TerminalAdmin;
  callbacks: { enableCallback(clientId: string): Promise<boolean> };
}

/** A client as the operator sees it: who owns it, and what the operator decided about it. */
export interface AppView {
  client_id: string;
  client_name?: string;
  registrar: 'operator' | 'developer';
  /** The owning developer's username. */
  owner?: string;
  kind?: string;
  verified: boolean;
  suspended: boolean;
}

export interface GroupView {
  id: string;
  name: string;
  members: string[];
}

/** What creates a group or renames it and adds members: the admin API's schema, and what `upsertGroup` checks. */
export const GROUP_INPUT = {
  type: 'object', required: ['id'],
  properties: { id: GROUP_ID_SCHEMA, name: { type: 'string' }, members: { type: 'array', items: { type: 'string', description: 'A username' } } },
};
type GroupInput = { id: string; name?: string; members?: string[] };
const checkGroupInput = validator<GroupInput>(GROUP_INPUT);

/** A seed file, whose clients are what registers a client; each entry is checked whole again by what loads it. */
export function seedFileSchema(clientInput: JsonSchema): JsonSchema {
  return {
    type: 'object',
    properties: {
      hosts: { type: 'array', items: HOST_INPUT }, users: { type: 'array', items: ACCOUNT_INPUT },
      clients: { type: 'array', items: clientInput }, groups: { type: 'array', items: GROUP_INPUT },
    },
  };
}
export interface SeedFile {
  users?: { username: string; password: string; name?: string; email?: string }[];
  clients?: Record<string, unknown>[];
  groups?: GroupInput[];
  hosts?: Record<string, unknown>[];
}

export interface SeedSummary {
  users: { created: number; updated: number };
  clients: { created: number; updated: number; secrets: Record<string, string>; webhook_secrets: Record<string, string> };
  groups: number;
  hosts: number;
}

export class AdminOperations {
  readonly #store: Store;
  readonly #box: SecretBox;
  readonly #oidc: AdminDeps['oidc'];
  readonly #groups: Groups;
  readonly #hosts: HostPlatforms;
  readonly #terminals: TerminalAdmin;
  readonly #callbacks: { enableCallback(clientId: string): Promise<boolean> };
  readonly #checkSeedFile: (value: unknown) => SeedFile;

  constructor(deps: AdminDeps) {
    this.#checkSeedFile = validator<SeedFile>(seedFileSchema(deps.oidc.clients.input));
    this.#terminals = deps.terminals;
    this.#callbacks = deps.callbacks;
    this.#store = deps.store;
    this.#box = deps.box;
    this.#oidc = deps.oidc;
    this.#groups = deps.groups;
    this.#hosts = deps.hosts;
  }

  async terminalsOf(username: string): Promise<TerminalView[] | undefined> {
    const account = await this.#oidc.accounts.findByUsername(username);
    return account ? this.#terminals.listFor(account.id) : undefined;
  }

  async revokeTerminal(id: string): Promise<boolean> {
    return this.#terminals.revoke(id);
  }

  /** After a new secret key was put first: every sealed secret sealed again under it. */
  async resealSecrets(): Promise<{ clients: number; hosts: number; keys: number }> {
    return { clients: await this.#oidc.clients.resealSecrets(), hosts: await this.#hosts.resealSecrets(), keys: await resealMeta(this.#store, this.#box) };
  }

  async addHost(input: unknown): Promise<HostView> {
    return this.#hosts.upsert(input);
  }

  async listHosts(): Promise<HostView[]> {
    return this.#hosts.list();
  }

  async createUser(input: { username: unknown; password: unknown; name?: unknown; email?: unknown }): Promise<AccountView> {
    return viewAccount(await this.#oidc.accounts.create(input));
  }

  async listUsers(): Promise<AccountView[]> {
    return (await this.#oidc.accounts.list()).map(viewAccount);
  }

  /** Registers a client; secrets Plaza generated are returned this once as `client_secret` and `webhook_secret`. */
  async createClient(metadata: unknown): Promise<ClientMetadata & { client_secret?: string; webhook_secret?: string }> {
    const { metadata: stored, generatedSecret, generatedWebhookSecret } = await this.#oidc.clients.register(metadata, 'operator');
    return {
      ...stored,
      ...(generatedSecret ? { client_secret: generatedSecret } : {}),
      ...(generatedWebhookSecret ? { webhook_secret: generatedWebhookSecret } : {}),
    };
  }

  async listClients(): Promise<ClientMetadata[]> {
    return this.#oidc.clients.list();
  }

  /** Every client with its owner and standing, for the operator's review of developers' apps. */
  async listApps(): Promise<AppView[]> {
    const apps: AppView[] = [];
    for (const client of await this.#oidc.clients.list()) {
      const standing = await this.#oidc.clients.standing(client.client_id) ?? { registrar: 'operator' as const };
      const owner = standing.owner ? (await this.#oidc.accounts.find(standing.owner))?.username ?? standing.owner : undefined;
      apps.push({
        client_id: client.client_id, client_name: typeof client.client_name === 'string' ? client.client_name : undefined,
        registrar: standing.registrar, owner, kind: standing.kind, verified: isVerified(standing), suspended: standing.suspended === true,
      });
    }
    return apps;
  }

  /** Suspends a client (its tokens stop working at once; it gets nothing new) or lifts the suspension. */
  async suspendClient(clientId: string, suspended: boolean): Promise<boolean> {
    return this.#oidc.clients.setStanding(clientId, { suspended });
  }

  /** Marks a developer's app verified (users no longer see the unverified notice), or takes the mark back. */
  async verifyClient(clientId: string, verified: boolean): Promise<boolean> {
    return this.#oidc.clients.setStanding(clientId, { verified });
  }

  /** An RFC 7591 initial access token for one registration, owned by `username`'s account when given; shown once. */
  async createInitialAccessToken(username?: string): Promise<{ token: string; expires_at: string; owner?: string }> {
    const account = username === undefined ? undefined : await this.#oidc.accounts.findByUsername(username);
    if (username !== undefined && !account) throw new InputError(`no user ${username}`);
    return { ...await this.#oidc.initialAccessTokens.create(account?.id), ...(username ? { owner: username } : {}) };
  }

  /** After a callback answered 410, deliveries to the client stop until this. */
  async enableCallback(clientId: string): Promise<boolean> {
    return this.#callbacks.enableCallback(clientId);
  }

  /** Removes the client and revokes every grant it holds, so its tokens stop working at once. */
  async removeClient(clientId: string): Promise<boolean> {
    const removed = await this.#oidc.clients.remove(clientId);
    if (removed) await this.#oidc.revokeClientGrants(clientId);
    return removed;
  }

  async upsertGroup(given: unknown): Promise<GroupView> {
    const input = checkGroupInput(given);
    const subs: string[] = [];
    for (const username of input.members ?? []) {
      const account = await this.#oidc.accounts.findByUsername(username);
      if (!account) throw new InputError(`no user ${username}`);
      subs.push(account.id);
    }
    const group = await this.#groups.upsert(input);
    for (const sub of subs) await this.#groups.addMember(group.id, sub);
    return this.#viewGroup(group.id, group.name);
  }

  async removeMember(groupId: string, username: string): Promise<boolean> {
    const account = await this.#oidc.accounts.findByUsername(username);
    return account ? this.#groups.removeMember(groupId, account.id) : false;
  }

  async listGroups(): Promise<GroupView[]> {
    return Promise.all((await this.#groups.list()).map((g) => this.#viewGroup(g.id, g.name)));
  }

  async #viewGroup(id: string, name: string): Promise<GroupView> {
    const members = [];
    for (const sub of await this.#groups.members(id)) members.push((await this.#oidc.accounts.find(sub))?.username ?? sub);
    return { id, name, members: members.sort() };
  }

  /** Creates every declared index (the MongoDB engine does this only here in production). */
  async migrate(): Promise<string[]> {
    return this.#store.migrate();
  }

  /** Every live document as JSON lines `{"c": collection, "d": document}`, to move a deployment between engines. */
  async *exportData(): AsyncIterable<string> {
    for await (const { collection, doc } of this.#store.dump()) yield JSON.stringify({ c: collection, d: doc });
  }

  /** Loads what `exportData` wrote; documents with the same id are replaced, so importing twice is harmless. */
  async importData(lines: AsyncIterable<string>): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    let n = 0;
    for await (const line of lines) {
      n += 1;
      if (!line.trim()) continue;
      let entry: { c?: unknown; d?: { id?: unknown } };
      try {
        entry = JSON.parse(line);
      } catch {
        throw new InputError(`line ${n} is not JSON`);
      }
      if (typeof entry.c !== 'string' || typeof entry.d?.id !== 'string') throw new InputError(`line ${n} is not {"c": collection, "d": {"id": ...}}`);
      await this.#store.collection({ name: entry.c }).put(entry.d as never);
      counts[entry.c] = (counts[entry.c] ?? 0) + 1;
    }
    return counts;
  }

  async rotateKeys() {
    return rotateKeys(this.#store, this.#box);
  }

  /** Loads hosts, users, clients, then groups; running the same file again changes nothing. */
  async seed(given: unknown): Promise<SeedSummary> {
    const file = this.#checkSeedFile(given);
    const summary: SeedSummary = { users: { created: 0, updated: 0 }, clients: { created: 0, updated: 0, secrets: {}, webhook_secrets: {} }, groups: 0, hosts: 0 };
    for (const host of file.hosts ?? []) {
      await this.#hosts.upsert(host);
      summary.hosts += 1;
    }
    for (const user of file.users ?? []) {
      try {
        const { created } = await this.#oidc.accounts.upsert(user);
        summary.users[created ? 'created' : 'updated'] += 1;
      } catch (err) {
        if (err instanceof InputError) throw new InputError(`user ${JSON.stringify(user?.username)}: ${err.message}`);
        throw err;
      }
    }
    for (const client of file.clients ?? []) {
      const { metadata, generatedSecret, generatedWebhookSecret, created } = await this.#oidc.clients.register(client, 'operator');
      summary.clients[created ? 'created' : 'updated'] += 1;
      if (generatedSecret) summary.clients.secrets[metadata.client_id] = generatedSecret;
      if (generatedWebhookSecret) summary.clients.webhook_secrets[metadata.client_id] = generatedWebhookSecret;
    }
    for (const group of file.groups ?? []) {
      await this.upsertGroup(group);
      summary.groups += 1;
    }
    return summary;
  }
}
