// S2 + S3: where a token may be used: on the terminal that started the authorization, or in the one H5 page
// it was handed to.
import type { PlazaConfig } from '../config/index.ts';
import type { Views } from '../http/index.ts';
import { TOKEN_TYPES, type Capability, type Oidc } from '../oidc/index.ts';
import type { Store } from '../store/index.ts';
import { h5Pages } from './h5.ts';
import { HANDOFF_CODE_TYPE, handoffExchanges } from './handoff.ts';
import { devicePages } from './pages.ts';
import { recordTerminals, Terminals, viewTerminal, type TerminalView } from './terminals.ts';

export { h5Client, H5_CLIENT_ID, HANDOFF_CODE_TYPE } from './handoff.ts';
export type { TerminalView } from './terminals.ts';

export interface TerminalAdmin {
  listFor(sub: string): Promise<TerminalView[]>;
  revoke(id: string): Promise<boolean>;
}

export interface BindingCapability extends Capability {
  terminals: TerminalAdmin;
}

export function createBinding(deps: { config: Pick<PlazaConfig, 'handoffCodeTtl' | 'viewTokenTtl'>; store: Store; oidc: Oidc; views: Views; report: (err: unknown) => void }): BindingCapability {
  const { oidc } = deps;
  const terminals = new Terminals(deps.store);
  const revoke = async (id: string): Promise<boolean> => {
    const terminal = await terminals.get(id);
    if (!terminal) return false;
    for (const grantId of terminal.grantIds) await oidc.revokeGrant(grantId);
    await terminals.remove(id);
    return true;
  };
  const handoff = handoffExchanges({ store: deps.store, oidc, codeTtl: deps.config.handoffCodeTtl, viewTokenTtl: deps.config.viewTokenTtl });
  return {
    exchanges: { [TOKEN_TYPES.accessToken]: handoff.issueCode, [HANDOFF_CODE_TYPE]: handoff.redeemCode },
    observers: [recordTerminals(terminals, deps.report)],
    pages: [
      devicePages({ session: oidc.session, views: deps.views, terminals, revokeTerminal: async (id) => { await revoke(id); } }),
      h5Pages(deps.views),
    ],
    terminals: { listFor: async (sub) => (await terminals.listFor(sub)).map(viewTerminal), revoke },
  };
}
