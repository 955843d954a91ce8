// Terminal binding: a terminal-bound client's tokens work only with the DPoP key of the terminal that started the
// authorization; the terminals are listed and revocable at /account/devices.
import type { Views } from '../http/index.ts';
import type { Capability, Oidc } from '../oidc/index.ts';
import type { Store } from '../store/index.ts';
import { terminalFacts } from './app_facts.ts';
import { devicePages } from './device_pages.ts';
import { recordTerminals, Terminals, viewTerminal, type TerminalView } from './terminals.ts';

export type { TerminalView } from './terminals.ts';

export interface TerminalAdmin {
  listFor(sub: string): Promise<TerminalView[]>;
  revoke(id: string): Promise<boolean>;
}

export interface TerminalsCapability extends Capability {
  terminals: TerminalAdmin;
}

export function createTerminals(deps: {
  store: Store; oidc: Pick<Oidc, 'revokeGrant' | 'session'>; views: Views; report: (err: unknown) => void;
  /** Clients whose DPoP keys belong to a page visit (the H5 page), not to a device. */
  pageClients: ReadonlySet<string>;
}): TerminalsCapability {
  const { oidc } = deps;
  const terminals = new Terminals(deps.store);
  const revoke = async (id: string): Promise<boolean> => {
    const terminal = await terminals.get(id);
    if (!terminal) return false;
    for (const grantId of terminal.grantIds) await oidc.revokeGrant(grantId);
    await terminals.remove(id);
    return true;
  };
  return {
    observers: [recordTerminals(terminals, deps.report)],
    appDescriber: terminalFacts(terminals, deps.pageClients),
    pages: [devicePages({ session: oidc.session, views: deps.views, terminals, pageClients: deps.pageClients, revokeTerminal: async (id) => { await revoke(id); } })],
    terminals: { listFor: async (sub) => (await terminals.listFor(sub)).map(viewTerminal), revoke },
  };
}
