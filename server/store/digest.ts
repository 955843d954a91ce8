// The base64url SHA-256 of a text: how a secret or a compound key becomes a document id (only the hash is
// stored), and the hash RFC 7636 and RFC 9449 put in `code_challenge` and `ath`.
import { createHash } from 'node:crypto';

export const sha256url = (text: string | Buffer): string => createHash('sha256').update(text).digest('base64url');
