// What an app knows a user by. A third-party app sees each user through a pairwise subject of its own (OIDC Core
// 8.1), so that two apps cannot correlate their users; Plaza's own first-party apps see the account id. An app with
// an owner also gets a union id, the same for every app of that developer and no other's (as WeChat's unionid).
import { createHmac } from 'node:crypto';
import { isFirstParty } from './first_party.ts';

/** The claim that carries the union id. */
export const UNION_ID = 'union_id';

/** How one app knows users: its `sub` for each account id. */
export type SubjectView = (accountId: string) => string;

type Metadata = Record<string, unknown>;

/** oidc-provider's `subject_type` for a client: pairwise for every app that is not Plaza's own. */
export function subjectTypeOf(metadata: Metadata): 'public' | 'pairwise' {
  return isFirstParty(metadata) ? 'public' : 'pairwise';
}

/**
 * The sector an app's pairwise subjects are computed for: its `sector_identifier_uri` when it registered one (which
 * oidc-provider fetched and checked lists its redirect URIs), else the app itself. Unlike OIDC Core (the host of
 * either), apps sharing a host (loopback, shared hosting, where anyone can place a sector file) do not share subjects.
 */
export function sectorOf(metadata: Metadata): string {
  const uri = typeof metadata.sector_identifier_uri === 'string' ? URL.parse(metadata.sector_identifier_uri) : null;
  return uri ? `uri:${uri.href}` : `client:${String(metadata.client_id)}`;
}

/**
 * The `sub` of tokens issued to one client under another client's grant (an H5 page's view token): the user as the
 * grant's client knows them, so that a page never gives a backend a second subject, one that all backends share.
 */
export const subjectsOfTokens = new WeakMap<object, string>();

/** Past this many subjects kept, they are forgotten all at once. */
const MACS_KEPT = 10_000;

export class Subjects {
  readonly #secret: Buffer;
  readonly #metadataOf: (clientId: string) => Promise<Metadata | undefined>;
  /** Subjects already worked out, by input: a pure function of it, and an HMAC costs more than a lookup (key setup). */
  readonly #macs = new Map<string, string>();

  /** `secret` is the store-held pairwise secret; `metadataOf` finds a client's metadata, suspended clients too. */
  constructor(secret: Buffer, metadataOf: (clientId: string) => Promise<Metadata | undefined>) {
    this.#secret = secret;
    this.#metadataOf = metadataOf;
  }

  #mac(kind: string, scope: string, accountId: string): string {
    const input = `${kind}\0${scope}\0${accountId}`;
    let mac = this.#macs.get(input);
    if (mac === undefined) {
      if (this.#macs.size >= MACS_KEPT) this.#macs.clear();
      mac = createHmac('sha256', this.#secret).update(input).digest('base64url');
      this.#macs.set(input, mac);
    }
    return mac;
  }

  /** The `sub` a client with this metadata knows an account by: the one rule for tokens, answers and webhooks. */
  seenBy(metadata: Metadata, accountId: string): string {
    return this.view(metadata)(accountId);
  }

  /** How a client with this metadata knows users: its subject type and sector worked out once, each `sub` kept by `#mac`. */
  view(metadata: Metadata): SubjectView {
    if (subjectTypeOf(metadata) !== 'pairwise') return (accountId) => accountId;
    const sector = sectorOf(metadata);
    return (accountId) => this.#mac('sub', sector, accountId);
  }

  /** How a client knows users; a client that is not registered (any more) sees nobody's account id. */
  async viewOf(clientId: string): Promise<SubjectView> {
    return this.view(await this.#metadataOf(clientId) ?? { client_id: clientId });
  }

  /** The `sub` a client knows an account by. */
  async of(clientId: string, accountId: string): Promise<string> {
    return (await this.viewOf(clientId))(accountId);
  }

  /** The union id of an account for the apps of one owner (a developer's account id). */
  unionId(owner: string, accountId: string): string {
    return this.#mac('union', owner, accountId);
  }
}
