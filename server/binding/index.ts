export { DpopVerifier, DpopProofError, type DpopProof, type ProofRequest } from './dpop.ts';
