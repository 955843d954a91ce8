// Every request Plaza makes to an app goes through here: https only (http on loopback only when insecure
// callbacks are allowed), the host resolved once and refused if any of its addresses is private, link-local,
// CGNAT, multicast, an IPv6 form that carries a refused IPv4 address, or oddly written; the connection made to
// the very address that was checked, bounded in time and body size, redirects never followed.
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
}

export interface OutboundResponse {
  status: number;
  headers: IncomingMessage['headers'];
}

export interface OutboundOptions {
  allowLoopback: boolean;
  timeoutMs: number;
  /** Resolves a host name to every address it has; DNS by default (tests give their own). */
  resolve?: (host: string) => Promise<{ address: string; family: number }[]>;
}

const MAX_RESPONSE_BYTES = 64 * 1024;
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

async function resolveAll(host: string): Promise<{ address: string; family: number }[]> {
  return lookup(host, { all: true, verbatim: true });
}

/** Checks the URL and resolves its host once; returns the address to connect to. */
export async function checkTarget(url: string, options: OutboundOptions): Promise<{ url: URL; address: string; family: 4 | 6 }> {
  const parsed = URL.parse(url);
  if (!parsed || parsed.username || parsed.password) throw new OutboundRefused('not a valid callback URL');
  const insecureOk = options.allowLoopback && parsed.protocol === 'http:';
  if (parsed.protocol !== 'https:' && !insecureOk) throw new OutboundRefused('callbacks must use https');
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  // The URL parser quietly turns 0x7f.1, 2130706433 and the like into 127.0.0.1; such spellings are refused.
  if (authorityHost(url) !== parsed.hostname.toLowerCase()) throw new OutboundRefused('the callback host is written in an unusual form');
  let addresses: { address: string; family: number }[];
  if (ipaddr.isValid(host)) {
    addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await (options.resolve ?? resolveAll)(host);
    } catch {
      throw new OutboundRefused(`the callback host ${host} does not resolve`);
    }
    if (!addresses.length) throw new OutboundRefused(`the callback host ${host} does not resolve`);
  }
  // Every address, not only the one connected to: a name that also resolves inside the network is refused.
  const refused = addresses.find((a) => !addressAllowed(a.address, options.allowLoopback));
  if (refused) throw new OutboundRefused(`the callback host resolves to a refused address (${refused.address})`);
  const [{ address, family }] = addresses;
  if (parsed.protocol === 'http:' && addresses.some((a) => ipaddr.parse(a.address).range() !== 'loopback')) throw new OutboundRefused('callbacks must use https');
  return { url: parsed, address, family: family === 6 ? 6 : 4 };
}

/** POSTs a body to a checked target; resolves with the status, or rejects on network errors and time-outs. */
export async function postChecked(url: string, body: string, headers: Record<string, string>, options: OutboundOptions): Promise<OutboundResponse> {
  const target = await checkTarget(url, options);
  const pinned: LookupFunction = (_host, opts, callback) => {
    if ((opts as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target.url, {
      method: 'POST', lookup: pinned, timeout: options.timeoutMs,
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) res.destroy();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    const timer = setTimeout(() => req.destroy(new Error('timeout')), options.timeoutMs);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => { clearTimeout(timer); reject(err); });
    req.on('close', () => clearTimeout(timer));
    req.end(body);
  });
}
