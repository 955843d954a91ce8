// A small OAuth client for tests: cookies, PKCE, DPoP proofs, and a walk through Plaza's login and consent forms.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { CookieJar } from 'tough-cookie';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';
import type { PlazaEndpoint } from './harness.ts';

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export class Browser {
  readonly jar = new CookieJar();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) await this.jar.setCookie(c, url);
    return res;
  }

  async postForm(url: string, form: Record<string, string>): Promise<Response> {
    return this.fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  }
}

export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no CSRF token in page:\n${html.slice(0, 500)}`);
  return match[1];
}

export interface AuthorizeResult {
  /** The URL Plaza finally redirected to (the client's redirect_uri with code or error). */
  callback: URL;
  pages: string[];
}

/**
 * Follows an authorization request through Plaza: signs in with the given credentials when asked and
 * answers the consent page, until the browser is sent to `redirectUri`.
 */
export async function authorize(server: PlazaEndpoint, browser: Browser, params: Record<string, string>, options: {
  username?: string; password?: string; consent?: 'allow' | 'deny'; redirectUri?: string;
  /** Sends the request as a form POST to the authorization endpoint (OIDC Core 3.1.2.1). */
  post?: boolean;
} = {}): Promise<AuthorizeResult> {
  const redirectUri = options.redirectUri ?? params.redirect_uri;
  let url = `${server.url}/auth?${new URLSearchParams(params)}`;
  const pages: string[] = [];
  for (let step = 0; step < 12; step += 1) {
    if (redirectUri && url.startsWith(redirectUri)) return { callback: new URL(url), pages };
    const res = options.post && step === 0 ? await browser.postForm(`${server.url}/auth`, params) : await browser.fetch(url);
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location')!, url).href;
      continue;
    }
    const html = await res.text();
    const uid = /\/interaction\/([^/"]+)\//.exec(html)?.[1];
    if (res.status !== 200 || !uid) throw Object.assign(new Error(`stopped at ${url} with ${res.status}`), { status: res.status, html });
    pages.push(html);
    let next: Response;
    if (html.includes('name="password"')) {
      next = await browser.postForm(`${server.url}/interaction/${uid}/login`, {
        _csrf: csrfOf(html), username: options.username ?? 'alice', password: options.password ?? 'alice-password-1',
      });
    } else {
      const action = options.consent === 'deny' ? 'abort' : 'confirm';
      next = await browser.postForm(`${server.url}/interaction/${uid}/${action}`, { _csrf: csrfOf(html) });
    }
    if (next.status !== 303) throw Object.assign(new Error(`form post answered ${next.status}`), { status: next.status, html: await next.text() });
    url = new URL(next.headers.get('location')!, url).href;
  }
  throw new Error('authorization did not finish');
}

export interface DpopKey {
  privateKey: CryptoKey;
  /** With privateKey, the key pair a client library's DPoP handle takes. */
  publicKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

export async function dpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  return { privateKey, publicKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

export async function dpopProof(key: DpopKey, htm: string, htu: string, extra: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ htm, htu, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...extra })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .sign(key.privateKey);
}

export function athOf(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url');
}

export async function tokenRequest(server: PlazaEndpoint, body: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body),
  });
  return { status: res.status, body: await res.json() as Record<string, any>, headers: res.headers };
}
