// External identities: (host, subject) pairs linked to Plaza accounts. The first sign-in creates the account;
// a `unionid` already known on the same platform joins the account that has it.
import { HttpError } from '../http/index.ts';
import type { Accounts } from '../oidc/index.ts';
import type { Doc, Store } from '../store/index.ts';
import type { HostIdentity } from './host_login.ts';
import type { HostPlatform } from './platforms.ts';

export interface ExternalIdentity extends Doc {
  hostId: string;
  subject: string;
  unionKey?: string;
  sub: string;
  linkedAt: number;
}

const idOf = (hostId: string, subject: string) => `${hostId}:${subject}`;
const unionKeyOf = (host: HostPlatform, identity: HostIdentity) => (identity.unionid ? `${host.platform}:${identity.unionid}` : undefined);

export class ExternalIdentities {
  readonly #docs;
  readonly #accounts: Accounts;

  constructor(store: Store, accounts: Accounts) {
    this.#docs = store.collection<ExternalIdentity>({ name: 'external_identities', indexes: [{ field: 'sub' }, { field: 'unionKey' }] });
    this.#accounts = accounts;
  }

  #record(host: HostPlatform, identity: HostIdentity, sub: string): ExternalIdentity {
    return { id: idOf(host.id, identity.subject), hostId: host.id, subject: identity.subject, unionKey: unionKeyOf(host, identity), sub, linkedAt: Date.now() };
  }

  async #accountOfUnion(host: HostPlatform, identity: HostIdentity): Promise<string | undefined> {
    const unionKey = unionKeyOf(host, identity);
    if (!unionKey) return undefined;
    const [known] = await this.#docs.find({ unionKey }, { limit: 1 });
    return known?.sub;
  }

  /** The Plaza account of this host identity, created just in time on the first sign-in. */
  async resolve(host: HostPlatform, identity: HostIdentity): Promise<{ sub: string; created: boolean }> {
    const id = idOf(host.id, identity.subject);
    const existing = await this.#docs.get(id);
    if (existing) return { sub: existing.sub, created: false };
    const union = await this.#accountOfUnion(host, identity);
    if (union) {
      if (!await this.#docs.insert(this.#record(host, identity, union))) return this.resolve(host, identity);
      return { sub: union, created: false };
    }
    const account = await this.#accounts.createExternal({ name: identity.name, usernamePrefix: host.id });
    if (await this.#docs.insert(this.#record(host, identity, account.id))) return { sub: account.id, created: true };
    // Another sign-in of the same person won the race; its account is the one.
    await this.#accounts.remove(account.id);
    return { sub: (await this.#docs.get(id))!.sub, created: false };
  }

  /** Links a host identity to a signed-in user's existing account. */
  async link(host: HostPlatform, identity: HostIdentity, sub: string): Promise<void> {
    const existing = await this.#docs.get(idOf(host.id, identity.subject));
    if (existing && existing.sub !== sub) throw new HttpError(409, `this ${host.id} identity is already linked to another Plaza account`);
    const union = await this.#accountOfUnion(host, identity);
    if (union && union !== sub) throw new HttpError(409, `this ${host.platform} account is already linked to another Plaza account`);
    if (!existing) await this.#docs.insert(this.#record(host, identity, sub));
  }

  async unlink(sub: string, hostId: string, subject: string): Promise<boolean> {
    const doc = await this.#docs.get(idOf(hostId, subject));
    return doc?.sub === sub ? this.#docs.delete(doc.id) : false;
  }

  async listFor(sub: string): Promise<ExternalIdentity[]> {
    return this.#docs.find({ sub }, { orderBy: { field: 'linkedAt' } });
  }
}
