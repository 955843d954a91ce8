// Secret rotation with a grace period: until the grace ends, a client authenticating with the secret a rotation
// replaced (client_secret_basic or client_secret_post) is let in, in every process, since both are stored.
import type Provider from 'oidc-provider';

export function acceptPreviousClientSecret(provider: Provider, isPrevious: (clientId: string, secret: string) => Promise<boolean>): void {
  const prototype = provider.Client.prototype as unknown as { compareClientSecret(this: { clientId: string }, secret: string): boolean | Promise<boolean> };
  const compareCurrent = prototype.compareClientSecret;
  prototype.compareClientSecret = async function compareClientSecret(secret) {
    return await compareCurrent.call(this, secret) || isPrevious(this.clientId, secret);
  };
}
