// A client's secrets at rest: `client_secret` and `webhook_secret` are kept sealed under the key-encryption key;
// oidc-provider sees the client secret opened, and never sees the webhook secret. After a rotation the previous
// secret is kept sealed too, with the time its grace ends (`<field>_previous_until`, epoch ms).
import type { SecretBox } from '../store/index.ts';

type Metadata = Record<string, unknown>;

const SECRET_FIELDS = ['client_secret', 'webhook_secret'] as const;
export type SecretField = typeof SECRET_FIELDS[number];

/** Plaza's own record of a client, stored beside its metadata and never shown to oidc-provider. */
export const STANDING = 'standing';

const sealedField = (field: SecretField) => `${field}_sealed`;
const previousField = (field: SecretField) => `${field}_previous_sealed`;
const previousUntil = (field: SecretField) => `${field}_previous_until`;

/** Every stored field only Plaza writes: the sealed secrets, the previous ones and their ends, the standing. */
const STORED_ONLY = new Set([STANDING, ...SECRET_FIELDS.flatMap((f) => [sealedField(f), previousField(f), previousUntil(f)])]);
const SEALED = SECRET_FIELDS.flatMap((f) => [sealedField(f), previousField(f)]);

/** A field of the input that only Plaza may write, if there is one. */
export function storedOnlyFieldIn(metadata: Metadata): string | undefined {
  return Object.keys(metadata).find((field) => STORED_ONLY.has(field));
}

/**
 * What a new registration of a stored client's metadata keeps of Plaza's own fields: its standing, and each secret
 * (current and previous) the new metadata still uses, the client secret while it has one, the webhook secret while
 * it has a callback.
 */
export function storedOnlyFields(stored: Metadata | undefined, metadata: Metadata): Metadata {
  const kept: Metadata = {};
  if (!stored) return kept;
  if (stored[STANDING] !== undefined) kept[STANDING] = stored[STANDING];
  for (const field of SECRET_FIELDS) {
    const uses = field === 'client_secret' ? typeof metadata.client_secret === 'string' : metadata.callback_uri !== undefined;
    if (!uses) continue;
    for (const key of [sealedField(field), previousField(field), previousUntil(field)]) {
      if (stored[key] !== undefined) kept[key] = stored[key];
    }
  }
  return kept;
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

/** The secret a rotation replaced, while its grace lasts. */
export function previousSecretOf(stored: Metadata, field: SecretField, box: SecretBox, now = Date.now()): string | undefined {
  const sealed = stored[previousField(field)];
  const until = stored[previousUntil(field)];
  return typeof sealed === 'string' && typeof until === 'number' && until > now ? box.unseal(sealed) : undefined;
}

/** A merge patch that makes `secret` current and keeps the current one for `graceMs` (none: it stops now). */
export function rotationPatch(stored: Metadata, field: SecretField, secret: string, graceMs: number, box: SecretBox): Metadata {
  const current = clientSecretOf(stored, field, box);
  const keep = graceMs > 0 && current !== undefined;
  return {
    [field]: null,
    [sealedField(field)]: box.seal(secret),
    [previousField(field)]: keep ? box.seal(current) : null,
    [previousUntil(field)]: keep ? Date.now() + graceMs : null,
  };
}

/** The metadata oidc-provider needs: the client secret opened, the webhook secret and Plaza's own fields left out. */
export function providerMetadata(stored: Metadata, box: SecretBox): Metadata {
  const clientSecret = clientSecretOf(stored, 'client_secret', box);
  const metadata: Metadata = {};
  for (const [key, value] of Object.entries(stored)) {
    if (!STORED_ONLY.has(key) && key !== 'webhook_secret') metadata[key] = value;
  }
  if (clientSecret !== undefined) metadata.client_secret = clientSecret;
  return metadata;
}

/** The metadata anyone may read back: no secret, sealed or not, current or previous. */
export function withoutSecrets(stored: Metadata): Metadata {
  const metadata = { ...stored };
  for (const field of SECRET_FIELDS) {
    delete metadata[field];
    delete metadata[sealedField(field)];
    delete metadata[previousField(field)];
    delete metadata[previousUntil(field)];
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
    const previous = stored[previousField(field)];
    if (typeof previous === 'string') patch[previousField(field)] = box.seal(box.unseal(previous));
  }
  return patch;
}

/** The sealed values a stored client holds, by field name (null where there is none). */
export function sealedValues(stored: Metadata): Record<string, string | null> {
  return Object.fromEntries(SEALED.map((field) => [field, typeof stored[field] === 'string' ? stored[field] : null]));
}
