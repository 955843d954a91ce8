// Terminals: a key thumbprint a user's tokens are bound to, with what the user saw when authorizing.
// Recorded when oidc-provider issues a DPoP-bound code or token, revoked by revoking every grant behind them.
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { sha256url, type Doc, type Store } from '../store/index.ts';

export interface Terminal extends Doc {
  sub: string;
  clientId: string;
  jkt: string;
  appName: string;
  userAgent: string;
  firstSeen: number;
  lastUsed: number;
  grantIds: string[];
}

export interface TerminalView {
  id: string;
  client_id: string;
  app_name: string;
  jkt: string;
  user_agent: string;
  first_seen: string;
  last_used: string;
}

export function viewTerminal(t: Terminal): TerminalView {
  return {
    id: t.id, client_id: t.clientId, app_name: t.appName, jkt: t.jkt, user_agent: t.userAgent,
    first_seen: new Date(t.firstSeen).toISOString(), last_used: new Date(t.lastUsed).toISOString(),
  };
}

const idOf = (sub: string, clientId: string, jkt: string) => sha256url(`${sub}\n${clientId}\n${jkt}`);

export class Terminals {
  readonly #docs;

  constructor(store: Store) {
    this.#docs = store.collection<Terminal>({ name: 'terminals', indexes: [{ field: 'sub' }] });
  }

  /** Notes a use of the terminal; the first one records what the user's browser was. */
  async seen(input: { sub: string; clientId: string; jkt: string; appName: string; grantId?: string; userAgent?: string }): Promise<void> {
    const id = idOf(input.sub, input.clientId, input.jkt);
    const now = Date.now();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const existing = await this.#docs.get(id);
      if (!existing) {
        const terminal: Terminal = {
          id, sub: input.sub, clientId: input.clientId, jkt: input.jkt, appName: input.appName,
          userAgent: (input.userAgent ?? 'unknown').slice(0, 300), firstSeen: now, lastUsed: now, grantIds: input.grantId ? [input.grantId] : [],
        };
        if (await this.#docs.insert(terminal)) return;
        continue;
      }
      const grantIds = input.grantId && !existing.grantIds.includes(input.grantId) ? [...existing.grantIds, input.grantId] : existing.grantIds;
      if (await this.#docs.update(id, { lastUsed: now, grantIds }, { lastUsed: existing.lastUsed })) return;
    }
  }

  async listFor(sub: string): Promise<Terminal[]> {
    return this.#docs.find({ sub }, { orderBy: { field: 'lastUsed', direction: 'desc' } });
  }

  async get(id: string): Promise<Terminal | undefined> {
    return this.#docs.get(id);
  }

  async remove(id: string): Promise<void> {
    await this.#docs.delete(id);
  }
}

/** Watches oidc-provider's authorization and token endpoints for codes and tokens bound to a terminal key. */
export function recordTerminals(terminals: Terminals, report: (err: unknown) => void): Middleware {
  return async (ctx, next) => {
    await next();
    const oidc = (ctx as unknown as KoaContextWithOIDC).oidc;
    if (!oidc?.client || ctx.status >= 400) return;
    const code = oidc.entities.AuthorizationCode as { dpopJkt?: string; accountId?: string; grantId?: string } | undefined;
    const token = oidc.entities.AccessToken as { jkt?: string; accountId?: string; grantId?: string } | undefined;
    const bound = code?.dpopJkt && code.accountId
      ? { jkt: code.dpopJkt, sub: code.accountId, grantId: code.grantId, userAgent: ctx.get('user-agent') }
      : token?.jkt && token.accountId ? { jkt: token.jkt, sub: token.accountId, grantId: token.grantId } : undefined;
    if (!bound) return;
    await terminals.seen({ ...bound, clientId: oidc.client.clientId, appName: oidc.client.clientName ?? oidc.client.clientId }).catch(report);
  };
}
