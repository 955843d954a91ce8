// One record of used DPoP proofs for oidc-provider's checks and Plaza's own: oidc-provider's ReplayDetection model,
// whose id for a proof is a hash of the client id and the proof's jti. Either check refuses what the other saw.
import { createHash } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { modelCollection } from './adapter.ts';

/** Notes a proof's first use; false when it was already used. */
export type ReplayRecord = (clientId: string, jti: string, expiresAt: number) => Promise<boolean>;

export function replayRecord(store: Store): ReplayRecord {
  const docs = modelCollection(store, 'ReplayDetection');
  return async (clientId, jti, expiresAt) => {
    const id = createHash('sha256').update(`${clientId}${jti}`).digest('base64url');
    return docs.insert({ id, payload: { jti: id, iss: clientId }, expiresAt });
  };
}
