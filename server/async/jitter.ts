/** Up to 10% either way, so retries from many jobs do not arrive together. */
export function withJitter(delayMs: number, random = Math.random): number {
  return Math.round(delayMs * (0.9 + 0.2 * random()));
}
