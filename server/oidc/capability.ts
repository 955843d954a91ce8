// What a capability plugs into Plaza. Its factory returns one and plaza.ts registers every part of every
// capability in one place, so the list there reads as what Plaza is.
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ApiDescription, Translate } from '../http/index.ts';
import type { AccountEventListener } from './account_events.ts';
import type { TokenClaimSource } from './configuration.ts';
import type { ExchangeHandler } from './token_exchange.ts';

/** Words for My apps, in the reader's language, saying what each grant it knows allows; grants it does not know are left out. */
export type GrantDescriber = (grantIds: string[], t: Translate) => Promise<Map<string, string[]>>;

/** What My apps shows of an app beyond its grants: the devices and H5 page visits holding its tokens, when it last acted. */
export interface AppFacts {
  devices?: { name: string; lastUsed: number }[];
  /** When the user last opened a page an app handed them over to (H5 handoff). */
  pageVisited?: number;
  lastActed?: number;
}

/** Facts about each of the user's apps it knows, by client id; `grantsByApp` gives each app's grant ids. */
export type AppDescriber = (sub: string, grantsByApp: ReadonlyMap<string, readonly string[]>, t: Translate) => Promise<Map<string, AppFacts>>;

export interface Capability {
  /** The RFC 8693 subject token types it redeems at the token endpoint, by type. */
  exchanges?: Record<string, ExchangeHandler>;
  /** Claims for access tokens issued under its grants. */
  tokenClaims?: TokenClaimSource;
  grantDescriber?: GrantDescriber;
  appDescriber?: AppDescriber;
  /** Told when a grant is revoked, to forget what it cached about it or take back what the grant stood for. */
  grantRevoked?: (grantId: string) => void | Promise<void>;
  /** Told of what happened to an account (sign-up, consent, removed access, new password), to record it for its owner. */
  accountEvents?: AccountEventListener;
  /** Operations under /api, whose errors are problem documents. */
  api?: Router;
  /** A JSON API under a prefix and an authentication of its own. */
  separateApi?: Middleware;
  /** The OpenAPI description of its operations. */
  openapi?: ApiDescription;
  pages?: Router[];
  /** Watch what oidc-provider's own endpoints did (after they answered). */
  observers?: Middleware[];
}
