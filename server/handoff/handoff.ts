// H5 handoff: a backend hands a user's session to an H5 page without a bearer token in any URL. The backend trades its
// access token for a one-time handoff code; the page trades the code, with proof of its own key, for a short
// view token that is bound to that key and sent back encrypted to the page's ECDH key.
import { randomBytes } from 'node:crypto';
import { CompactEncrypt, importJWK, type JWK } from 'jose';
import type { ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';
import { exchangeError, TOKEN_TYPES, type ExchangeRequest, type Oidc } from '../oidc/index.ts';
import { sha256url, type CollectionSpec, type Doc, type Store } from '../store/index.ts';

export const HANDOFF_CODE_TYPE = 'urn:plaza:token-type:handoff-code';
export const H5_CLIENT_ID = 'plaza-h5';

/** Plaza's own H5 page, registered in code: a public client that only redeems handoff codes. */
export function h5Client(): ClientMetadata {
  return {
    client_id: H5_CLIENT_ID, client_name: 'Plaza group page', token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'], response_types: [], redirect_uris: [],
    dpop_bound_access_tokens: true,
  };
}

export interface HandoffCode extends Doc {
  sub: string;
  /** The backend's grant: the view token lives under it, so revoking the backend's access ends the page's too. */
  grantId: string;
  audience: string;
  scope: string;
  fromClient: string;
  usedAt?: number;
}

const invalidGrant = (description: string) => exchangeError('invalid_grant', description);

export interface HandoffDeps {
  store: Store;
  oidc: Pick<Oidc, 'verifyAccessToken' | 'resources' | 'liveGrant' | 'apiTokens'>;
  codeTtl: number;
  viewTokenTtl: number;
}

function params(ctx: KoaContextWithOIDC): Record<string, string | undefined> {
  return ctx.oidc.params as Record<string, string | undefined>;
}

/** The page's ECDH public key: P-256 only, and certainly not a private key. */
async function responseKey(raw: string | undefined) {
  let jwk: JWK;
  try {
    jwk = JSON.parse(raw ?? '');
  } catch {
    throw exchangeError('invalid_request', 'response_encryption_jwk must be a JSON Web Key');
  }
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string' || 'd' in jwk) {
    throw exchangeError('invalid_request', 'response_encryption_jwk must be a public EC P-256 key');
  }
  try {
    return await importJWK({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, 'ECDH-ES+A256KW');
  } catch {
    throw exchangeError('invalid_request', 'response_encryption_jwk is not a valid P-256 point');
  }
}

/** Stored under the code's sha256url. */
export const HANDOFF_CODES: CollectionSpec = { name: 'handoff_codes' };

export function handoffExchanges(deps: HandoffDeps) {
  const codes = deps.store.collection<HandoffCode>(HANDOFF_CODES);
  const { oidc } = deps;

  /** The backend's step: its access token for the user becomes a one-time code for the H5 client. */
  async function issueCode(ctx: KoaContextWithOIDC, { subjectToken, proof }: ExchangeRequest): Promise<void> {
    const p = params(ctx);
    if (p.requested_token_type !== HANDOFF_CODE_TYPE) {
      throw exchangeError('invalid_request', `an access token can only be exchanged for a handoff code (requested_token_type=${HANDOFF_CODE_TYPE})`);
    }
    let claims;
    try {
      claims = await oidc.verifyAccessToken(subjectToken, oidc.resources.api);
    } catch {
      throw invalidGrant('subject_token is not a valid Plaza access token');
    }
    const client = ctx.oidc.client!;
    // Only a backend hands a session off; a page (a public client) could otherwise renew its own view token forever.
    if (client.clientAuthMethod === 'none') throw exchangeError('unauthorized_client', 'only a confidential client can hand a session off');
    if (claims.client_id !== client.clientId) throw invalidGrant('subject_token was issued to another client');
    const grant = claims.grant_id && claims.sub !== claims.client_id ? await oidc.liveGrant(claims.grant_id) : undefined;
    if (!grant) throw invalidGrant('subject_token does not act for a user, or its grant was revoked');
    if (grant.subjectOf(grant.accountId) !== claims.sub) throw invalidGrant('subject_token\'s subject is not the user of its grant');
    if (claims.cnf?.jkt && claims.cnf.jkt !== proof?.jkt) throw exchangeError('invalid_dpop_proof', 'subject_token is DPoP-bound: prove its key');

    const audience = p.audience;
    const target = audience ? await ctx.oidc.provider.Client.find(audience) : undefined;
    if (target?.clientAuthMethod !== 'none') throw exchangeError('invalid_target', 'audience must be the client_id of a registered H5 (public) client');
    const held = new Set(claims.scope?.split(' ') ?? []);
    const wanted = p.scope ? p.scope.split(' ') : [...held];
    if (!wanted.length || wanted.some((s) => !held.has(s))) throw exchangeError('invalid_scope', 'the handoff scope must be part of the subject token\'s scope');

    const code = `hc_${randomBytes(32).toString('base64url')}`;
    await codes.put({
      id: sha256url(code), sub: grant.accountId, grantId: claims.grant_id!, audience: target.clientId, scope: wanted.join(' '), fromClient: client.clientId,
      expiresAt: Date.now() + deps.codeTtl * 1000,
    });
    ctx.body = { access_token: code, issued_token_type: HANDOFF_CODE_TYPE, token_type: 'N_A', expires_in: deps.codeTtl, scope: wanted.join(' ') };
  }

  /** The page's step: the code, a DPoP proof and the page's ECDH key give an encrypted, key-bound view token. */
  async function redeemCode(ctx: KoaContextWithOIDC, { subjectToken, proof }: ExchangeRequest): Promise<void> {
    const p = params(ctx);
    if (p.requested_token_type && p.requested_token_type !== TOKEN_TYPES.accessToken) throw exchangeError('invalid_request', 'a handoff code can only be exchanged for an access token');
    if (!proof) throw exchangeError('invalid_dpop_proof', 'a DPoP proof by the page\'s key is required');
    const key = await responseKey(p.response_encryption_jwk);
    const client = ctx.oidc.client!;
    const id = sha256url(subjectToken);
    const doc = await codes.get(id);
    if (!doc) throw invalidGrant('the handoff code is unknown, expired or already used');
    if (doc.audience !== client.clientId) throw invalidGrant('the handoff code was issued for another client');
    if (!await codes.update(id, { usedAt: Date.now() }, { usedAt: null })) throw invalidGrant('the handoff code is unknown, expired or already used');
    await codes.delete(id);
    const grant = await oidc.liveGrant(doc.grantId);
    if (grant === undefined) throw invalidGrant('the access the handoff came from was revoked');

    // The page names the user as its backend does: a page client's own subject would be one every backend could learn.
    const response = await oidc.apiTokens.issue(ctx, {
      grantId: doc.grantId, accountId: doc.sub, subject: grant.subjectOf(doc.sub), scope: doc.scope, dpopJkt: proof.jkt, refresh: false, ttl: deps.viewTokenTtl,
    });
    ctx.type = 'application/jose';
    ctx.body = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(response)))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'json' })
      .encrypt(key);
  }

  return { issueCode, redeemCode };
}
