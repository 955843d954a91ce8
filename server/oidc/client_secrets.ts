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

/** The stored client with every secret sealed under the newest key (secrets in the clear get sealed too). */
export function resealClientSecrets(stored: Metadata, box: SecretBox): Metadata {
  const opened: Metadata = withoutSecrets(stored);
  for (const field of SECRET_FIELDS) {
    const secret = clientSecretOf(stored, field, box);
    if (secret !== undefined) opened[field] = secret;
  }
  return sealClientSecrets(opened, box);
}
