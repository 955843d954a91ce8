// One record of used DPoP proofs for oidc-provider's checks and Plaza's own: oidc-provider's ReplayDetection model,
// whose id for a proof is a hash of the client id and the proof's jti. Either check refuses what the other saw.
import { sha256url, type Store } from '../store/index.ts';
import { modelCollection } from './adapter.ts';

/** Notes a proof's first use; false when it was already used. */
export type ReplayRecord = (clientId: string, jti: string, expiresAt: number) => Promise<boolean>;

export function replayRecord(store: Store): ReplayRecord {
  const docs = modelCollection(store, 'ReplayDetection');
  return async (clientId, jti, expiresAt) => {
    const id = sha256url(`${clientId}${jti}`);
    return docs.insert({ id, payload: { jti: id, iss: clientId }, expiresAt });
  };
}
