// Post/Redirect/Get for secrets: the form post that makes a secret keeps it, sealed, in a short-lived reveal record
// bound to the developer and their session, and redirects to the page that takes the record. A reload, or the URL
// anywhere else, finds nothing: each secret is shown once, and re-submitting nothing makes another.
import { randomBytes } from 'node:crypto';
import { sha256url, type Doc, type SecretBox, type Store } from '../store/index.ts';

/** Secrets just made, shown on one page and never again. */
export interface ShownSecrets {
  client_secret?: string;
  webhook_secret?: string;
  initial_access_token?: string;
}

/** Who may see a reveal: the signed-in developer, in the browser session that made the secret. */
export interface Viewer {
  account: string;
  sessionUid: string;
}

interface Reveal extends Doc {
  account: string;
  /** The digest of the session's uid. */
  session: string;
  /** The page that shows it: an app's page (its client_id) or the console's (''). */
  page: string;
  sealed: string;
}

/** Long enough to follow the redirect, short enough that a forgotten one is gone soon. */
const REVEAL_TTL_MS = 10 * 60_000;

export class SecretReveals {
  readonly #reveals;
  readonly #box: SecretBox;

  constructor(store: Store, box: SecretBox) {
    this.#reveals = store.collection<Reveal>({ name: 'developer_secret_reveals' });
    this.#box = box;
  }

  /** Keeps the secrets for one view on `page`; returns the reveal's id, for the redirect. */
  async keep(viewer: Viewer, page: string, secrets: ShownSecrets): Promise<string> {
    const id = randomBytes(24).toString('base64url');
    await this.#reveals.put({
      id, account: viewer.account, session: sha256url(viewer.sessionUid), page,
      sealed: this.#box.seal(JSON.stringify(secrets)), expiresAt: Date.now() + REVEAL_TTL_MS,
    });
    return id;
  }

  /** The secrets, once: the reveal is deleted as it is read (one caller wins); undefined for anyone else or later. */
  async take(viewer: Viewer, page: string, id: string): Promise<ShownSecrets | undefined> {
    const reveal = await this.#reveals.get(id);
    if (reveal?.account !== viewer.account || reveal.session !== sha256url(viewer.sessionUid) || reveal.page !== page) return undefined;
    if (!await this.#reveals.delete(id)) return undefined;
    return JSON.parse(this.#box.unseal(reveal.sealed)) as ShownSecrets;
  }
}
