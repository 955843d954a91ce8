// Invitations for SIGNUP=invite: a member hands a friend a one-time code. Only its hash is stored, and redeeming it is
// one atomic delete, so two sign-ups racing with one code cannot both pass.
import { randomBytes } from 'node:crypto';
import { sha256url, type Doc, type Store } from '../store/index.ts';

interface Invitation extends Doc {
  /** The member who invited. */
  by: string;
  expiresAt: number;
}

const LIFETIME_MS = 7 * 24 * 3600 * 1000;

export class Invitations {
  readonly #docs;

  constructor(store: Store) {
    this.#docs = store.collection<Invitation>({ name: 'invitations' });
  }

  async issue(by: string): Promise<string> {
    const code = randomBytes(16).toString('base64url');
    await this.#docs.put({ id: sha256url(code), by, expiresAt: Date.now() + LIFETIME_MS });
    return code;
  }

  /** Uses the code up; true only for the one caller that held a live one. */
  async redeem(code: string): Promise<boolean> {
    if (!code || code.length > 64) return false;
    const id = sha256url(code);
    const invitation = await this.#docs.get(id);
    return invitation !== undefined && invitation.expiresAt > Date.now() && await this.#docs.delete(id);
  }
}
