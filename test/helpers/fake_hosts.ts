// Host super-apps played by the tests: a WeChat-style code2session endpoint and a host that signs identity JWTs.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; base: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

const json = (res: ServerResponse, body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/**
 * Login codes are one-time; `slow` never answers in time, `busy` is a host error, `garbage` is not JSON, `endless`
 * streams a body that never ends (until the caller hangs up; `endlessBytes` counts what it sent).
 */
export class FakeCode2Session {
  readonly apps = new Map<string, string>();
  readonly #codes = new Map<string, { openid: string; unionid?: string }>();
  readonly seenSecrets: string[] = [];
  endlessBytes = 0;
  url = '';
  #server?: Server;

  async start(): Promise<this> {
    const { server, base } = await listen((req, res) => {
      const q = new URL(req.url!, base).searchParams;
      this.seenSecrets.push(q.get('secret') ?? '');
      const code = q.get('js_code') ?? '';
      if (this.apps.get(q.get('appid') ?? '') !== q.get('secret')) return json(res, { errcode: 40125, errmsg: 'invalid appsecret' });
      if (q.get('grant_type') !== 'authorization_code') return json(res, { errcode: 40002, errmsg: 'invalid grant_type' });
      if (code === 'slow') return void setTimeout(() => json(res, { errcode: -1, errmsg: 'too late' }), 3000);
      if (code === 'busy') return json(res, { errcode: -1, errmsg: 'system busy' });
      if (code === 'garbage') return res.writeHead(200).end('<html>oops</html>');
      if (code === 'endless') return this.#endless(res);
      const user = this.#codes.get(code);
      if (!user) return json(res, { errcode: 40029, errmsg: 'invalid code' });
      this.#codes.delete(code);
      json(res, { openid: user.openid, session_key: `sk-${randomBytes(8).toString('hex')}`, ...(user.unionid ? { unionid: user.unionid } : {}) });
    });
    this.#server = server;
    this.url = `${base}/sns/jscode2session`;
    return this;
  }

  #endless(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(16 * 1024, ' ');
    const more = () => {
      while (!res.destroyed && res.write(chunk)) this.endlessBytes += chunk.length;
    };
    res.on('drain', more);
    more();
  }

  /** A fresh one-time login code for this user, as the host would hand to the mini-program. */
  code(openid: string, unionid?: string): string {
    const code = `code-${randomBytes(8).toString('hex')}`;
    this.#codes.set(code, { openid, unionid });
    return code;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}

interface HostKey { kid: string; privateKey: CryptoKey; publicJwk: JWK }

/** The mini-program's app id at the fake JWT hosts: their tokens name it in `azp`. */
export const HOST_APP_ID = 'hiking-mini';

export class FakeJwtHost {
  readonly issuer: string;
  jwksUri = '';
  jwksRequests = 0;
  #keys: HostKey[] = [];
  #server?: Server;

  constructor(issuer = 'https://host.example') {
    this.issuer = issuer;
  }

  async #newKey(): Promise<HostKey> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = `k-${randomBytes(4).toString('hex')}`;
    return { kid, privateKey, publicJwk: { ...await exportJWK(publicKey), kid, alg: 'ES256', use: 'sig' } };
  }

  async start(): Promise<this> {
    this.#keys = [await this.#newKey()];
    const { server, base } = await listen((_req, res) => {
      this.jwksRequests += 1;
      json(res, { keys: this.#keys.map((k) => k.publicJwk) });
    });
    this.#server = server;
    this.jwksUri = `${base}/jwks`;
    return this;
  }

  /** Replaces the signing key: tokens signed before no longer verify. */
  async rotate(): Promise<void> {
    this.#keys = [await this.#newKey()];
  }

  /** A single-use identity token for the mini-program `azp` names; `expiresIn: null` leaves `exp` out. */
  async token(claims: Record<string, unknown>, options: { key?: 'current' | 'foreign'; expiresIn?: string | null } = {}): Promise<string> {
    const key = options.key === 'foreign' ? await this.#newKey() : this.#keys[0];
    const jwt = new SignJWT({ iss: this.issuer, aud: 'plaza-at-host', azp: HOST_APP_ID, jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuedAt();
    if (options.expiresIn !== null) jwt.setExpirationTime(options.expiresIn ?? '5m');
    return jwt.sign(key.privateKey);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}
