// A client's registered metadata, as oidc-provider's `client.metadata()` gives it, worked out once per Client.
// oidc-provider builds a Client from one stored document and builds a new one when the document changes, so a Client's
// metadata never changes; `metadata()` itself snake-cases every property anew, several times per token request.
import type { Client } from 'oidc-provider';

const known = new WeakMap<Client, Readonly<Record<string, unknown>>>();

export function metadataOf(client: Client): Readonly<Record<string, unknown>> {
  let metadata = known.get(client);
  if (!metadata) {
    metadata = Object.freeze(client.metadata());
    known.set(client, metadata);
  }
  return metadata;
}
