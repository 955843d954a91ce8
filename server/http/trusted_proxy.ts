// Behind a TLS-terminating reverse proxy, the request's scheme, host and client address are the ones the proxy
// reports in X-Forwarded-Proto, -Host and -For. Plaza believes them only from the proxies it is told to trust.
import ipaddr from 'ipaddr.js';
import type Koa from 'koa';

/** Nobody (`hops: 0`), whoever connects as the nearest of `hops` proxies, or only peers within `proxies` (CIDRs). */
export type TrustProxy = { hops: number } | { proxies: string[] };

const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'];

function cidr(entry: string): string {
  const [address, bits, ...rest] = entry.split('/');
  const valid = ipaddr.IPv4.isValidFourPartDecimal(address) || ipaddr.IPv6.isValid(address);
  const width = ipaddr.IPv4.isValidFourPartDecimal(address) ? 32 : 128;
  if (!valid || rest.length > 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= width))) {
    throw new Error(`${JSON.stringify(entry)} is not an IP address or CIDR range`);
  }
  return `${ipaddr.parse(address).toString()}/${bits ?? width}`;
}

/** `0` (off), a number of proxy hops, or a comma-separated list of proxy addresses and CIDR ranges. */
export function parseTrustProxy(text: string): TrustProxy {
  const value = text.trim();
  if (/^\d+$/.test(value)) return { hops: Number(value) };
  const entries = value.split(',').map((e) => e.trim());
  if (entries.some((e) => e === '')) throw new Error('an empty entry in the list of proxies');
  return { proxies: entries.map(cidr) };
}

function addressIn(ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][], address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  return ranges.some(([range, bits]) => parsed.kind() === range.kind() && parsed.match(range, bits));
}

/**
 * Tells the app which X-Forwarded-* headers to believe; first in the chain, so everything after sees the real
 * `ctx.ip`, `ctx.protocol` and `ctx.host`.
 */
export function trustProxy(app: Koa, trust: TrustProxy): void {
  if ('hops' in trust) {
    app.proxy = trust.hops > 0;
    app.maxIpsCount = trust.hops;
    return;
  }
  app.proxy = true;
  const ranges = trust.proxies.map((range) => ipaddr.parseCIDR(range));
  app.use(async (ctx, next) => {
    const peer = ctx.req.socket.remoteAddress ?? '';
    if (!addressIn(ranges, peer)) {
      for (const header of FORWARDED) delete ctx.req.headers[header];
      return next();
    }
    // The client is the nearest address, walking back through X-Forwarded-For, that is not a trusted proxy.
    const hops = [...ctx.request.ips, peer];
    let client = hops.length - 1;
    while (client > 0 && addressIn(ranges, hops[client]) && ipaddr.isValid(hops[client - 1])) client -= 1;
    ctx.request.ip = hops[client];
    return next();
  });
}
