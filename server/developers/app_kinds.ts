// The kinds of app a developer picks from: each fills in the grant types, client authentication and binding that
// kind needs, so the developer only says what is theirs (name, website, redirect and callback URIs, keys).
import { TOKEN_EXCHANGE } from '../oidc/index.ts';

export interface AppKind {
  id: string;
  label: string;
  /** What it is, in the words the console shows. */
  summary: string;
  /** It signs users in through a browser, so it needs redirect URIs. */
  redirects: boolean;
  /** Plaza calls it back, so it needs a callback URI (and gets a webhook secret). */
  callback: 'required' | 'optional' | 'none';
  /** Members may let it answer them when asked (its `plaza_triggers`): it gets interaction tickets and redeems them. */
  triggers?: boolean;
  metadata: Record<string, unknown>;
}

const CONFIDENTIAL = { token_endpoint_auth_method: 'client_secret_basic' };
const SIGN_IN = { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] };
const NO_SIGN_IN = { response_types: [], redirect_uris: [] };

export const APP_KINDS: readonly AppKind[] = [
  {
    id: 'web', label: 'Web app', summary: 'A server-side web app that signs users in with Plaza and keeps a client secret.',
    redirects: true, callback: 'optional', metadata: { application_type: 'web', ...SIGN_IN, ...CONFIDENTIAL },
  },
  {
    id: 'spa', label: 'Single-page app', summary: 'A browser app with no secret: authorization code with PKCE, tokens kept in the browser.',
    redirects: true, callback: 'none', metadata: { application_type: 'web', ...SIGN_IN, token_endpoint_auth_method: 'none' },
  },
  {
    id: 'native', label: 'Native / terminal-bound app', summary: 'A phone or desktop app: no secret, every token bound to the device\'s DPoP key (dpop_jkt).',
    redirects: true, callback: 'none', metadata: { application_type: 'native', ...SIGN_IN, token_endpoint_auth_method: 'none', plaza_terminal_bound: true },
  },
  {
    id: 'bot', label: 'Bot with action grants', summary: 'Users add it to their groups; Plaza sends it a signed webhook with a one-time action ticket that it exchanges for a token.',
    redirects: false, callback: 'required', triggers: true, metadata: { grant_types: [TOKEN_EXCHANGE, 'refresh_token'], ...NO_SIGN_IN, ...CONFIDENTIAL },
  },
  {
    id: 'mini_program', label: 'Mini-program', summary: 'Runs inside a host super-app and exchanges the host\'s login for Plaza tokens; the operator links it to its host platform.',
    redirects: false, callback: 'none', metadata: { grant_types: [TOKEN_EXCHANGE, 'refresh_token'], ...NO_SIGN_IN, ...CONFIDENTIAL },
  },
  {
    id: 'h5_backend', label: 'Backend with H5 handoff', summary: 'Signs users in and hands them over to Plaza\'s H5 pages with a one-time handoff code.',
    redirects: true, callback: 'none', metadata: { application_type: 'web', grant_types: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE], response_types: ['code'], ...CONFIDENTIAL },
  },
  {
    id: 'async', label: 'Async caller', summary: 'Sends encrypted requests to /api/async and gets the answers as signed (optionally encrypted) callbacks.',
    redirects: true, callback: 'required', metadata: { application_type: 'web', ...SIGN_IN, ...CONFIDENTIAL },
  },
];

export function appKind(id: unknown): AppKind | undefined {
  return APP_KINDS.find((k) => k.id === id);
}
