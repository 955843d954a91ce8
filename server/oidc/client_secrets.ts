// A client's secrets at rest: `client_secret` and `webhook_secret` are kept sealed under the key-encryption key;
// oidc-provider sees the client secret opened, and never sees the webhook secret.
import type { SecretBox } from '../store/index.ts';

type Metadata = Record<string, unknown>;

const SECRET_FIELDS = ['client_secret', 'webhook_secret'] as const;
type SecretField = typeof SECRET_FIELDS[number];

const sealedField = (field: SecretField) => `${field}_sealed`;

/** A field of the input that only sealing may write, if there is one. */
export function sealedFieldIn(metadata: Metadata): string | undefined {
  return SECRET_FIELDS.map(sealedField).find((field) => Object.hasOwn(metadata, field));
}

/** What is stored: each secret sealed, none in the clear. */
export function sealClientSecrets(metadata: Metadata, box: SecretBox): Metadata {
  const stored = { ...metadata };
  for (const field of SECRET_FIELDS) {
    const value = stored[field];
    delete stored[field];
    if (typeof value === 'string') stored[sealedField(field)] = box.seal(value);
  }
  return stored;
}

/** One secret of a stored client, opened; a secret stored in the clear by an older Plaza reads as it is. */
export function clientSecretOf(stored: Metadata, field: SecretField, box: SecretBox): string | undefined {
  const sealed = stored[sealedField(field)];
  if (typeof sealed === 'string') return box.unseal(sealed);
  const clear = stored[field];
  return typeof clear === 'string' ? clear : undefined;
}

/** The metadata oidc-provider needs: the client secret opened, the webhook secret left out. */
export function providerMetadata(stored: Metadata, box: SecretBox): Metadata {
  const clientSecret = clientSecretOf(stored, 'client_secret', box);
  const metadata: Metadata = {};
  for (const [key, value] of Object.entries(stored)) {
    if (!key.endsWith('_sealed') && key !== 'webhook_secret') metadata[key] = value;
  }
  if (clientSecret !== undefined) metadata.client_secret = clientSecret;
  return metadata;
}

/** The metadata anyone may read back: no secret, sealed or not. */
export function withoutSecrets(stored: Metadata): Metadata {
  const metadata = { ...stored };
  for (const field of SECRET_FIELDS) {
    delete metadata[field];
    delete metadata[sealedField(field)];
  }
  return metadata;
}

/** A merge patch that seals a stored client's secrets again under the newest key (and any in the clear). */
export function resealPatch(stored: Metadata, box: SecretBox): Metadata {
  const patch: Metadata = {};
  for (const field of SECRET_FIELDS) {
    const secret = clientSecretOf(stored, field, box);
    patch[field] = null;
    if (secret !== undefined) patch[sealedField(field)] = box.seal(secret);
  }
  return patch;
}

/** The sealed values a stored client holds, by field name (null where there is none). */
export function sealedValues(stored: Metadata): Record<string, string | null> {
  return Object.fromEntries(SECRET_FIELDS.map(sealedField).map((field) => [field, typeof stored[field] === 'string' ? stored[field] : null]));
}
