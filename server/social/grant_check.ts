// Every access check of the protected API, in one place and in this order: a token in the Authorization header,
// a valid Plaza JWT for the API, a user's token, a grant that still exists and whose user the token's `sub` names
// as the grant's app knows them (a page's view token too), the DPoP binding, the scope or authorization_details
// naming the operation, and membership of the group. A `group_interaction` detail allows only replies to its one
// message, and only as many as its `max_uses`, counted in the store across processes.
import { HttpError } from '../http/index.ts';
import { checkTokenBinding, InvalidTokenError, presentedToken, type AccessTokenClaims, type ApiScope, type DpopVerifier, type LiveGrant, type ResourceRequest, type SubjectView } from '../oidc/index.ts';

export const GROUP_MESSAGES = 'group_messages';
export const GROUP_INTERACTION = 'group_interaction';

export type Permission = ApiScope;

export interface GroupMessagesDetail {
  type: typeof GROUP_MESSAGES;
  group_id: string;
  actions: string[];
}

/** RFC 9396 detail of an interaction grant: answer one message, at most `max_uses` times. */
export interface GroupInteractionDetail {
  type: typeof GROUP_INTERACTION;
  group_id: string;
  in_reply_to: string;
  actions: string[];
  max_uses: number;
}

/** What a request wants to do. No permission: any valid user token (e.g. reading one's own profile). */
export interface Operation {
  permission?: Permission;
  groupId?: string;
  /** The message a post answers. */
  replyTo?: string;
}

/** An allowance with a use count that a request spends once it is otherwise allowed. */
export interface CountedUse {
  grantId: string;
  maxUses: number;
  /** When the token ends, so that its count may go then. */
  until: number;
}

export interface Caller {
  /** The user's account id, from the grant: the app's token names them by its own `sub` (`subjectOf(sub)`). */
  sub: string;
  /** How the grant's app knows users (a page's, its backend's): what every answer to it says instead of an account id. */
  subjectOf: SubjectView;
  /** The account's claims the user released to the grant's app: what an answer may say about them beyond the `sub`. */
  released: ReadonlySet<string>;
  clientId: string;
  grantId: string;
  scopes: Set<string>;
  details: GroupMessagesDetail[];
  interactions: GroupInteractionDetail[];
  /** Token expiry, epoch seconds. */
  exp: number;
  jkt?: string;
}

export class ForbiddenError extends HttpError {
  override name = 'ForbiddenError';
  constructor(message: string, code: 'forbidden' | 'insufficient_scope' = 'forbidden') {
    super(403, message, { code, headers: code === 'insufficient_scope' ? { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' } : undefined });
  }
}

export interface GrantCheckDeps {
  verifyToken(token: string): Promise<AccessTokenClaims>;
  /** The grant in force, or undefined once it was revoked or ended, or its client was suspended. */
  liveGrant(grantId: string): Promise<LiveGrant | undefined>;
  isMember(groupId: string, sub: string): Promise<boolean>;
  dpop: DpopVerifier;
  /** How long a grant seen alive is trusted without asking the store again, ms. Revocation here forgets it at once. */
  cacheMs: number;
  /** Takes one of the grant's uses, atomically: its number, or undefined when they are all taken. */
  spendUse(use: CountedUse): Promise<number | undefined>;
}

function isGroupMessagesDetail(value: unknown): value is GroupMessagesDetail {
  const d = value as GroupMessagesDetail;
  return d?.type === GROUP_MESSAGES && typeof d.group_id === 'string' && Array.isArray(d.actions) && d.actions.every((a) => typeof a === 'string');
}

function isGroupInteractionDetail(value: unknown): value is GroupInteractionDetail {
  const d = value as GroupInteractionDetail;
  return d?.type === GROUP_INTERACTION && typeof d.group_id === 'string' && typeof d.in_reply_to === 'string'
    && Array.isArray(d.actions) && d.actions.every((a) => typeof a === 'string') && Number.isInteger(d.max_uses) && d.max_uses > 0;
}

/** A token issued to act for a user; a client's own (client credentials) token has none and goes no further. */
type UserClaims = AccessTokenClaims & { sub: string; grant_id: string };

function actsForUser(claims: AccessTokenClaims): UserClaims {
  if (typeof claims.sub !== 'string' || typeof claims.grant_id !== 'string' || claims.sub === claims.client_id) {
    throw new InvalidTokenError('this token does not act for a user');
  }
  return claims as UserClaims;
}

/** The caller: the user is the grant's account, whom the token's `sub` must name as the app knows them. */
function callerOf(claims: UserClaims, { accountId, subjectOf, released }: LiveGrant): Caller {
  if (subjectOf(accountId) !== claims.sub) throw new InvalidTokenError('the token\'s subject is not the user of its grant');
  const all: unknown[] = Array.isArray(claims.authorization_details) ? claims.authorization_details : [];
  return {
    sub: accountId, subjectOf, released, clientId: claims.client_id, grantId: claims.grant_id, scopes: new Set(claims.scope?.split(' ') ?? []),
    details: all.filter(isGroupMessagesDetail), interactions: all.filter(isGroupInteractionDetail), exp: Number(claims.exp),
  };
}

/** Whether the caller may do the operation; the counted use it must spend first when an interaction allows it. */
function checkPermission(caller: Caller, op: Operation): CountedUse | undefined {
  if (!op.permission || caller.scopes.has(op.permission)) return undefined;
  if (caller.details.some((d) => d.group_id === op.groupId && d.actions.includes(op.permission!))) return undefined;
  const interaction = caller.interactions.find((d) => d.group_id === op.groupId && d.actions.includes(op.permission!));
  if (interaction && op.replyTo === interaction.in_reply_to) return { grantId: caller.grantId, maxUses: interaction.max_uses, until: caller.exp * 1000 };
  if (interaction) throw new ForbiddenError(`this token only allows replies to message ${interaction.in_reply_to}`, 'insufficient_scope');
  throw new ForbiddenError(`this token does not allow ${op.permission}${op.groupId ? ` in group ${op.groupId}` : ''}`, 'insufficient_scope');
}

export class GrantCheck {
  readonly #deps: GrantCheckDeps;
  /** Grants seen alive, until when they are trusted without asking the store again. */
  readonly #alive = new Map<string, { until: number; grant: LiveGrant }>();

  constructor(deps: GrantCheckDeps) {
    this.#deps = deps;
  }

  /** The caller, allowed the operation; a counted use it must still `spend` comes with it. */
  async authorize(request: ResourceRequest, op: Operation): Promise<Caller & { use?: CountedUse }> {
    const caller = await this.authenticate(request);
    return { ...caller, use: await this.permit(caller, op) };
  }

  /** Who calls, through which app, with which grant: every check but the operation's. */
  async authenticate(request: ResourceRequest): Promise<Caller> {
    const presented = presentedToken(request.authorization);
    const claims = actsForUser(await this.#deps.verifyToken(presented.token));
    const grant = await this.#liveGrant(claims.grant_id);
    const caller = callerOf(claims, grant);
    caller.jkt = await checkTokenBinding(this.#deps.dpop, presented, claims, request);
    return caller;
  }

  /**
   * Whether the caller's grant allows the operation, there, and the user may still do it there. An allowance with a
   * use count comes back unspent: the caller spends it with `spend` after its own checks, just before it acts.
   */
  async permit(caller: Caller, op: Operation): Promise<CountedUse | undefined> {
    const use = checkPermission(caller, op);
    if (op.groupId && !await this.#deps.isMember(op.groupId, caller.sub)) {
      throw new ForbiddenError(`you are not a member of group ${op.groupId}`);
    }
    return use;
  }

  /** Spends one use of a counted allowance and answers its number; refused once every use is taken. */
  async spend(use: CountedUse | undefined): Promise<number | undefined> {
    if (!use) return undefined;
    const n = await this.#deps.spendUse(use);
    if (n === undefined) throw new ForbiddenError(`this token's ${use.maxUses} uses are all taken`, 'insufficient_scope');
    return n;
  }

  /** Called when a grant is revoked in this process, so the next request sees it at once. */
  forget(grantId: string): void {
    this.#alive.delete(grantId);
  }

  async #liveGrant(grantId: string): Promise<LiveGrant> {
    const seen = this.#alive.get(grantId);
    if (seen !== undefined && seen.until > Date.now()) return seen.grant;
    const grant = await this.#deps.liveGrant(grantId);
    if (!grant) {
      this.#alive.delete(grantId);
      throw new InvalidTokenError('the grant behind this access token was revoked');
    }
    if (this.#deps.cacheMs > 0) this.#alive.set(grantId, { until: Date.now() + this.#deps.cacheMs, grant });
    return grant;
  }
}
