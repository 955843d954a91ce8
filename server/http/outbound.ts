// Every request Plaza makes to a URL someone else named (an app's callback, a host's code2session URL and JWKS)
// goes through here: https only (http on loopback only when insecure callbacks are allowed), the host resolved
// once and refused if any of its addresses is private, link-local, CGNAT, multicast, an IPv6 form that carries
// an IPv4 address, or oddly written; the connection made to the very address that was checked, bounded in time
// and body size, redirects never followed.
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
}

export class OutboundTimeout extends Error {
  // The name fetch gives its time-outs, so that callers (jose among them) recognise it.
  override name = 'TimeoutError';
  constructor() {
    super('timeout');
  }
}

export interface OutboundRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface OutboundResponse {
  status: number;
  headers: IncomingMessage['headers'];
  /** The answer's body, at most MAX_RESPONSE_BYTES of it. */
  body: Buffer;
  /** The answer was longer than MAX_RESPONSE_BYTES: reading stopped there and the connection was cut. */
  oversized: boolean;
}

export interface OutboundOptions {
  allowLoopback: boolean;
  timeoutMs: number;
  /** Resolves a host name to every address it has; DNS by default (tests give their own). */
  resolve?: (host: string) => Promise<{ address: string; family: number }[]>;
}

export const MAX_RESPONSE_BYTES = 64 * 1024;
const CANONICAL_LOOPBACK = new Set(['127.0.0.1', '::1']);

function authorityHost(raw: string): string {
  const afterScheme = raw.slice(raw.indexOf('//') + 2);
  const authority = afterScheme.split(/[/?#]/, 1)[0].split('@').pop()!;
  return (authority.startsWith('[') ? authority.slice(0, authority.indexOf(']') + 1) : authority.split(':')[0]).toLowerCase();
}

/** Global unicast (RFC 4291 2.5.4): everything else under ::/3, IPv4-compatible `::a.b.c.d` among it, is refused. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
/** NAT64 (RFC 6052): the gateway calls the IPv4 address in the last 32 bits, which must itself be allowed. */
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');

/** Whether an address may be called; loopback only in its canonical forms and only when allowed. */
function addressAllowed(address: string, allowLoopback: boolean): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  const range = parsed.range();
  if (range === 'loopback') return allowLoopback && CANONICAL_LOOPBACK.has(parsed.toString());
  if (parsed.kind() === 'ipv4') return range === 'unicast';
  const v6 = parsed as ipaddr.IPv6;
  if (v6.match(NAT64)) return addressAllowed(ipaddr.fromByteArray(v6.toByteArray().slice(12)).toString(), false);
  // ipaddr names 6to4, Teredo and IPv4-mapped ranges, which carry an IPv4 address too: none is 'unicast'.
  return range === 'unicast' && v6.match(GLOBAL_UNICAST_V6);
}

async function resolveAll(host: string): Promise<Address[]> {
  return lookup(host, { all: true, verbatim: true });
}

type Address = { address: string; family: number };

/** Every address must be allowed, not only the one connected to: a name that also resolves inside the network is refused. */
function checkAddresses(parsed: URL, addresses: Address[], allowLoopback: boolean): void {
  const refused = addresses.find((a) => !addressAllowed(a.address, allowLoopback));
  if (refused) throw new OutboundRefused(`the host resolves to a refused address (${refused.address})`);
  if (parsed.protocol === 'http:' && addresses.some((a) => ipaddr.parse(a.address).range() !== 'loopback')) throw new OutboundRefused('the URL must use https');
}

const literalAddress = (host: string): Address[] | undefined => (ipaddr.isValid(host) ? [{ address: host, family: host.includes(':') ? 6 : 4 }] : undefined);
const bareHost = (parsed: URL) => parsed.hostname.replace(/^\[|\]$/g, '');

/** What can be checked without DNS: the scheme, no credentials, a plainly written host, and a literal address. */
export function checkUrl(url: string, options: Pick<OutboundOptions, 'allowLoopback'>): URL {
  const parsed = URL.parse(url);
  if (!parsed || parsed.username || parsed.password) throw new OutboundRefused('not a valid URL');
  const insecureOk = options.allowLoopback && parsed.protocol === 'http:';
  if (parsed.protocol !== 'https:' && !insecureOk) throw new OutboundRefused('the URL must use https');
  // The URL parser quietly turns 0x7f.1, 2130706433 and the like into 127.0.0.1; such spellings are refused.
  if (authorityHost(url) !== parsed.hostname.toLowerCase()) throw new OutboundRefused('the host is written in an unusual form');
  const literal = literalAddress(bareHost(parsed));
  if (literal) checkAddresses(parsed, literal, options.allowLoopback);
  return parsed;
}

/** Checks the URL and resolves its host once; returns the address to connect to. */
export async function checkTarget(url: string, options: OutboundOptions): Promise<{ url: URL; address: string; family: 4 | 6 }> {
  const parsed = checkUrl(url, options);
  const host = bareHost(parsed);
  let addresses = literalAddress(host);
  if (!addresses) {
    try {
      addresses = await (options.resolve ?? resolveAll)(host);
    } catch {
      throw new OutboundRefused(`the host ${host} does not resolve`);
    }
    if (!addresses.length) throw new OutboundRefused(`the host ${host} does not resolve`);
    checkAddresses(parsed, addresses, options.allowLoopback);
  }
  const [{ address, family }] = addresses;
  return { url: parsed, address, family: family === 6 ? 6 : 4 };
}

/** Sends a request to a checked target; resolves with the answer, or rejects on network errors and time-outs. */
export async function requestChecked(url: string, request: OutboundRequest, options: OutboundOptions): Promise<OutboundResponse> {
  const target = await checkTarget(url, options);
  const pinned: LookupFunction = (_host, opts, callback) => {
    if ((opts as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const body = request.body ?? '';
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timeOut = () => { timedOut = true; req.destroy(new OutboundTimeout()); };
    const req = send(target.url, {
      method: request.method, lookup: pinned, timeout: options.timeoutMs,
      headers: { ...request.headers, ...(request.body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) },
    }, (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      let oversized = false;
      const done = () => (timedOut ? reject(new OutboundTimeout()) : resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), oversized }));
      // Bounded while it is read: past the limit the connection is cut, whatever the answer still holds.
      res.on('data', (chunk: Buffer) => {
        if (oversized) return;
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) {
          oversized = true;
          res.destroy();
        } else {
          chunks.push(chunk);
        }
      });
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    const timer = setTimeout(timeOut, options.timeoutMs);
    req.on('timeout', timeOut);
    req.on('error', (err) => { clearTimeout(timer); reject(err); });
    req.on('close', () => clearTimeout(timer));
    req.end(request.body);
  });
}
