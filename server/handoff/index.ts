// H5 handoff: a backend hands a user's session to the one H5 page, whose view token works only with that page's key.
import type { PlazaConfig } from '../config/index.ts';
import type { Views } from '../http/index.ts';
import { TOKEN_TYPES, type Capability } from '../oidc/index.ts';
import type { Store } from '../store/index.ts';
import { h5Pages } from './h5_pages.ts';
import { HANDOFF_CODE_TYPE, handoffExchanges, type HandoffDeps } from './handoff.ts';

export { h5Client, H5_CLIENT_ID, HANDOFF_CODE_TYPE, HANDOFF_CODES, type HandoffCode } from './handoff.ts';

export function createHandoff(deps: { config: Pick<PlazaConfig, 'handoffCodeTtl' | 'viewTokenTtl'>; store: Store; oidc: HandoffDeps['oidc']; views: Views }): Capability {
  const handoff = handoffExchanges({ store: deps.store, oidc: deps.oidc, codeTtl: deps.config.handoffCodeTtl, viewTokenTtl: deps.config.viewTokenTtl });
  return {
    exchanges: { [TOKEN_TYPES.accessToken]: handoff.issueCode, [HANDOFF_CODE_TYPE]: handoff.redeemCode },
    pages: [h5Pages(deps.views)],
  };
}
