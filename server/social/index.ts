// The social platform: groups, their messages, the audit log, and the grant check that guards the protected API.
import type { PlazaConfig } from '../config/index.ts';
import type { Views } from '../http/index.ts';
import type { AppFacts, Capability, Oidc } from '../oidc/index.ts';
import type { Store } from '../store/index.ts';
import type { SocialPageDeps } from './pages.ts';
import { socialApiRoutes, type GroupAppActions } from './api.ts';
import { AuditLog } from './audit.ts';
import { GrantCheck } from './grant_check.ts';
import { Groups } from './groups.ts';
import { CountedUses } from './counted_uses.ts';
import { Messages } from './messages.ts';
import { socialApiDescription } from './openapi.ts';
import { activityPage } from './activity_page.ts';
import { pageNames } from './names.ts';
import { socialPages } from './pages.ts';

export { Groups, GROUP_ID, GROUP_ID_SCHEMA, MEMBERSHIPS, type Group, type Membership } from './groups.ts';
export { Messages, MAX_TEXT, MESSAGES, MESSAGE_TEXT_SCHEMA, viewMessage, type Message, type MessageView } from './messages.ts';
export type { CountedUses } from './counted_uses.ts';
export { AUDIT_LOG, AuditLog, type AuditEntry } from './audit.ts';
export { GrantCheck, ForbiddenError, GROUP_INTERACTION, GROUP_MESSAGES, type GroupInteractionDetail, type Caller, type Operation, type Permission, type GroupMessagesDetail } from './grant_check.ts';
export type { GroupAppActions, GroupAppSummary, ShareTarget } from './api.ts';
export { userSecurity } from './openapi.ts';

export interface SocialDeps {
  config: Pick<PlazaConfig, 'issuer' | 'grantCacheMs'>;
  store: Store;
  oidc: Pick<Oidc, 'verifyAccessToken' | 'resources' | 'liveGrant' | 'subjects' | 'dpop' | 'accounts' | 'session' | 'clients' | 'publisherOf'>;
  views: Views;
}

export interface Social {
  groups: Groups;
  messages: Messages;
  audit: AuditLog;
  check: GrantCheck;
  uses: CountedUses;
  /** Its API and pages, which add apps to groups through the action grants capability (built on these groups). */
  withGroupApps(groupApps: GroupAppActions, grantableActions: string[], describeAction: SocialPageDeps['describeAction']): Capability;
}

export function createSocial(deps: SocialDeps): Social {
  const { config, oidc } = deps;
  const groups = new Groups(deps.store);
  const messages = new Messages(deps.store);
  const audit = new AuditLog(deps.store);
  const uses = new CountedUses(deps.store);
  const check = new GrantCheck({
    verifyToken: (token) => oidc.verifyAccessToken(token, oidc.resources.api),
    liveGrant: oidc.liveGrant,
    isMember: (groupId, sub) => groups.isMember(groupId, sub),
    dpop: oidc.dpop,
    cacheMs: config.grantCacheMs,
    spendUse: (use) => uses.spend(use),
  });
  const social = { accounts: oidc.accounts, groups, messages, audit };
  return {
    groups, messages, audit, check, uses,
    withGroupApps: (groupApps, grantableActions, describeAction) => ({
      grantRevoked: (grantId) => check.forget(grantId),
      // What happened to the account itself goes into the same activity log, through the app it concerned.
      accountEvents: (event) => audit.record({ sub: event.sub, via: 'clientId' in event ? event.clientId : null, action: event.type }),
      appDescriber: async (sub, grantsByApp) => {
        const facts = new Map<string, AppFacts>();
        for (const clientId of grantsByApp.keys()) facts.set(clientId, { lastActed: await audit.lastActed(sub, clientId) });
        return facts;
      },
      api: socialApiRoutes({ ...social, groupApps, issuer: config.issuer, check }),
      openapi: socialApiDescription({ grantableActions, addAppInput: groupApps.addAppInput, shareInput: groupApps.shareInput }),
      pages: [
        socialPages({ ...social, groupApps, session: oidc.session, views: deps.views, clients: oidc.clients, publisherOf: oidc.publisherOf, grantableActions, describeAction }),
        activityPage({ session: oidc.session, views: deps.views, audit, groups, names: () => pageNames({ accounts: oidc.accounts, clients: oidc.clients, groups, messages }) }),
      ],
    }),
  };
}
