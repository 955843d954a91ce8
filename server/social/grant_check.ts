// Every access check of the protected API, in one place and in this order: a token in the Authorization header,
// a valid Plaza JWT for the API, a user's token, a grant that still exists, the DPoP binding, the scope or
// authorization_details naming the operation, and membership of the group.
import { HttpError } from '../http/index.ts';
import { checkTokenBinding, InvalidTokenError, presentedToken, type AccessTokenClaims, type ApiScope, type DpopVerifier, type ResourceRequest } from '../oidc/index.ts';

export const GROUP_MESSAGES = 'group_messages';

export type Permission = ApiScope;

export interface GroupMessagesDetail {
  type: typeof GROUP_MESSAGES;
  group_id: string;
  actions: string[];
}

/** What a request wants to do. No permission: any valid user token (e.g. reading one's own profile). */
export interface Operation {
  permission?: Permission;
  groupId?: string;
}

export interface Caller {
  sub: string;
  clientId: string;
  grantId: string;
  scopes: Set<string>;
  details: GroupMessagesDetail[];
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
  grantExists(grantId: string): Promise<boolean>;
  isMember(groupId: string, sub: string): Promise<boolean>;
  dpop: DpopVerifier;
  /** How long a grant seen alive is trusted without asking the store again, ms. Revocation here forgets it at once. */
  cacheMs: number;
}

function isGroupMessagesDetail(value: unknown): value is GroupMessagesDetail {
  const d = value as GroupMessagesDetail;
  return d?.type === GROUP_MESSAGES && typeof d.group_id === 'string' && Array.isArray(d.actions) && d.actions.every((a) => typeof a === 'string');
}

/** Only tokens issued to act for a user reach the social API; a client's own (client credentials) token has no user. */
function userOf(claims: AccessTokenClaims): Caller {
  const grantId = claims.grant_id;
  if (typeof claims.sub !== 'string' || typeof grantId !== 'string' || claims.sub === claims.client_id) {
    throw new InvalidTokenError('this token does not act for a user');
  }
  const details = Array.isArray(claims.authorization_details) ? claims.authorization_details.filter(isGroupMessagesDetail) : [];
  return { sub: claims.sub, clientId: claims.client_id, grantId, scopes: new Set(claims.scope?.split(' ') ?? []), details };
}

function checkPermission(caller: Caller, op: Operation): void {
  if (!op.permission || caller.scopes.has(op.permission)) return;
  const allowed = caller.details.some((d) => d.group_id === op.groupId && d.actions.includes(op.permission!));
  if (!allowed) {
    throw new ForbiddenError(`this token does not allow ${op.permission}${op.groupId ? ` in group ${op.groupId}` : ''}`, 'insufficient_scope');
  }
}

export class GrantCheck {
  readonly #deps: GrantCheckDeps;
  readonly #aliveUntil = new Map<string, number>();

  constructor(deps: GrantCheckDeps) {
    this.#deps = deps;
  }

  async authorize(request: ResourceRequest, op: Operation): Promise<Caller> {
    const caller = await this.authenticate(request);
    await this.permit(caller, op);
    return caller;
  }

  /** Who calls, through which app, with which grant: every check but the operation's. */
  async authenticate(request: ResourceRequest): Promise<Caller> {
    const presented = presentedToken(request.authorization);
    const claims = await this.#deps.verifyToken(presented.token);
    const caller = userOf(claims);
    await this.#checkGrantAlive(caller.grantId);
    caller.jkt = await checkTokenBinding(this.#deps.dpop, presented, claims, request);
    return caller;
  }

  /** Whether the caller's grant allows the operation, there, and the user may still do it there. */
  async permit(caller: Caller, op: Operation): Promise<void> {
    checkPermission(caller, op);
    if (op.groupId && !await this.#deps.isMember(op.groupId, caller.sub)) {
      throw new ForbiddenError(`you are not a member of group ${op.groupId}`);
    }
  }

  /** Called when a grant is revoked in this process, so the next request sees it at once. */
  forget(grantId: string): void {
    this.#aliveUntil.delete(grantId);
  }

  async #checkGrantAlive(grantId: string): Promise<void> {
    const until = this.#aliveUntil.get(grantId);
    if (until !== undefined && until > Date.now()) return;
    if (!await this.#deps.grantExists(grantId)) {
      this.#aliveUntil.delete(grantId);
      throw new InvalidTokenError('the grant behind this access token was revoked');
    }
    if (this.#deps.cacheMs > 0) this.#aliveUntil.set(grantId, Date.now() + this.#deps.cacheMs);
  }
}
