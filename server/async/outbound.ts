// Every request Plaza makes to an app goes through here: https only (http on loopback only when insecure
// callbacks are allowed), the host resolved once and refused if private, link-local, CGNAT, multicast,
// IPv4-mapped or oddly written, the connection made to the very address that was checked, bounded in time
// and body size, redirects never followed.
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
}

const MAX_RESPONSE_BYTES = 64 * 1024;
const CANONICAL_LOOPBACK = new Set(['127.0.0.1', '::1']);

function authorityHost(raw: string): string {
  const afterScheme = raw.slice(raw.indexOf('//') + 2);
  const authority = afterScheme.split(/[/?#]/, 1)[0].split('@').pop()!;
  return (authority.startsWith('[') ? authority.slice(0, authority.indexOf(']') + 1) : authority.split(':')[0]).toLowerCase();
}

/** Whether an address may be called; loopback only in its canonical forms and only when allowed. */
function addressAllowed(address: string, allowLoopback: boolean): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  const range = parsed.range();
  if (range === 'loopback') return allowLoopback && CANONICAL_LOOPBACK.has(parsed.toString());
  return range === 'unicast';
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
  let address: string;
  let family: number;
  if (ipaddr.isValid(host)) {
    address = host;
    family = host.includes(':') ? 6 : 4;
  } else {
    try {
      ({ address, family } = await lookup(host, { verbatim: true }));
    } catch {
      throw new OutboundRefused(`the callback host ${host} does not resolve`);
    }
  }
  if (!addressAllowed(address, options.allowLoopback)) throw new OutboundRefused(`the callback host resolves to a refused address (${address})`);
  if (parsed.protocol === 'http:' && ipaddr.parse(address).range() !== 'loopback') throw new OutboundRefused('callbacks must use https');
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
