// What happened to an account that its owner reads about in Activity: sign-up, consents, removed access, a new
// password. The OP says so here; the capability that keeps the activity log listens (plaza.ts wires it).
export type AccountEvent =
  | { type: 'account.created'; sub: string }
  | { type: 'password.changed'; sub: string }
  | { type: 'consent.given'; sub: string; clientId: string }
  | { type: 'access.revoked'; sub: string; clientId: string };

export type AccountEventListener = (event: AccountEvent) => void | Promise<void>;

export class AccountEvents {
  readonly #listeners: AccountEventListener[] = [];

  listen(listener: AccountEventListener): void {
    this.#listeners.push(listener);
  }

  async emit(event: AccountEvent): Promise<void> {
    for (const listener of this.#listeners) await listener(event);
  }
}
