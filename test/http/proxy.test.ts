// Plaza behind Debian's nginx terminating TLS, configured with the README's deploy/nginx.conf: discovery and a
// browser's sign-in over https, Secure cookies, and X-Forwarded-* headers believed only from the trusted proxy.
import test from 'ava';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmod, chown, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request as playwrightRequest } from 'playwright-core';
import { freePort, startServer, tempDir, waitUntil, type TestServer } from '../helpers/harness.ts';
import { launchChromium, screenshot } from '../helpers/chromium.ts';
import { pkce, tokenRequest } from '../helpers/oauth.ts';
import { ALICE, codeRequest, REDIRECT_URI, seedBasics, WEB } from '../helpers/fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SITE = join(ROOT, 'deploy', 'nginx.conf');
const NOBODY = 65534;
const PRODUCTION = { NODE_ENV: 'production', PLAZA_SECRET_KEY: 'a'.repeat(64) };

/** Replaces text that must be in the README's configuration, so that the test notices when the file changes. */
function replaceIn(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`deploy/nginx.conf no longer contains ${JSON.stringify(from)}`);
  return text.replaceAll(from, to);
}

interface Nginx { url: string; stop(): Promise<void> }

/**
 * Runs nginx with deploy/nginx.conf on `port`, in front of `upstream`, with a fresh self-signed certificate and a
 * prefix of its own; as nobody when the tests run as root.
 */
async function startNginx(port: number, upstream: string): Promise<Nginx> {
  const dir = await tempDir('plaza-nginx-');
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ]);
  let site = await readFile(SITE, 'utf8');
  site = replaceIn(site, 'listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`);
  site = replaceIn(site, '/etc/ssl/certs/id.example.com.pem', join(dir, 'cert.pem'));
  site = replaceIn(site, '/etc/ssl/private/id.example.com.key', join(dir, 'key.pem'));
  site = replaceIn(site, 'http://127.0.0.1:3000', upstream);
  await writeFile(join(dir, 'site.conf'), site);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `${name}_temp_path ${join(dir, name)};`).join(' ');
  await writeFile(join(dir, 'nginx.conf'), `daemon off; worker_processes 1; pid ${join(dir, 'nginx.pid')}; error_log stderr warn;
events { worker_connections 64; }
http { access_log off; ${temp} include ${join(dir, 'site.conf')}; }
`);
  const asNobody = process.getuid?.() === 0;
  if (asNobody) {
    await chown(dir, NOBODY, NOBODY);
    await chmod(dir, 0o700);
    for (const file of ['key.pem', 'cert.pem', 'site.conf', 'nginx.conf']) await chown(join(dir, file), NOBODY, NOBODY);
  }
  const nginx: ChildProcess = spawn('/usr/sbin/nginx', ['-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'], ...(asNobody ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  let stderr = '';
  nginx.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<void>((resolve) => nginx.once('exit', () => resolve()));
  const url = `https://127.0.0.1:${port}`;
  const api = await playwrightRequest.newContext({ ignoreHTTPSErrors: true });
  try {
    await waitUntil('nginx answers', async () => {
      if (nginx.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
      return api.get(`${url}/healthz`).then((res) => res.ok(), () => false);
    }, 10_000);
  } finally {
    await api.dispose();
  }
  return {
    url,
    async stop() {
      nginx.kill('SIGQUIT');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Plaza configured as deploy/nginx.conf says, with nginx in front of it. */
async function behindNginx(env: Record<string, string>, logLines?: string[]): Promise<{ plaza: TestServer; nginx: Nginx }> {
  const port = await freePort();
  const plaza = await startServer({ env: { ISSUER: `https://127.0.0.1:${port}`, ...env }, logLines });
  const nginx = await startNginx(port, plaza.plaza.url);
  return { plaza, nginx };
}

test('the README shows deploy/nginx.conf as it is', async (t) => {
  t.true((await readFile(join(ROOT, 'README.md'), 'utf8')).includes(`\`\`\`nginx\n${await readFile(SITE, 'utf8')}\`\`\``));
});

const FORGED = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' };

const requestLines = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.msg === 'request');

test('through nginx, discovery advertises https endpoints under the issuer, and the log has the client\'s address', async (t) => {
  const lines: string[] = [];
  const { plaza, nginx } = await behindNginx({ ...PRODUCTION, TRUST_PROXY: '1', LOG_LEVEL: 'info' }, lines);
  const api = await playwrightRequest.newContext({ ignoreHTTPSErrors: true });
  t.teardown(async () => { await api.dispose(); await nginx.stop(); await plaza.stop(); });

  // nginx replaces a client's X-Forwarded-Proto and -Host; a forged X-Forwarded-For stays in front of the address it appends.
  const res = await api.get(`${nginx.url}/.well-known/openid-configuration`, { headers: { ...FORGED, 'x-forwarded-proto': 'http', 'x-request-id': 'through-nginx' } });
  t.is(res.status(), 200);
  const discovery = await res.json() as Record<string, unknown>;
  t.is(discovery.issuer, nginx.url);
  const endpoints = Object.entries(discovery).filter(([key]) => key.endsWith('_endpoint') || key === 'jwks_uri');
  t.true(endpoints.length >= 5);
  for (const [key, value] of endpoints) t.true(String(value).startsWith(`${nginx.url}/`), `${key}: ${value}`);
  t.is(res.headers()['strict-transport-security']?.startsWith('max-age='), true);

  const line = requestLines(lines).find((e) => e.requestId === 'through-nginx');
  t.is(line?.ip, '127.0.0.1');
  t.deepEqual(plaza.serverErrors, []);
});

test('a browser signs in and consents over https through nginx and gets a code; every cookie is Secure', async (t) => {
  const { plaza, nginx } = await behindNginx({ ...PRODUCTION, TRUST_PROXY: '127.0.0.1' });
  await seedBasics(plaza);
  const browser = await launchChromium();
  t.teardown(async () => { await browser.close(); await nginx.stop(); await plaza.stop(); });
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  // The client's redirect URI is not served by anyone: the browser's arrival there is the end of the flow.
  await context.route(`${REDIRECT_URI}**`, (route) => route.fulfill({ contentType: 'text/plain', body: 'app callback' }));
  const page = await context.newPage();
  const { verifier, challenge } = pkce();
  await page.goto(`${nginx.url}/auth?${new URLSearchParams(codeRequest(WEB, challenge))}`);
  await page.getByLabel('Username').fill(ALICE.username);
  await page.getByLabel('Password').fill(ALICE.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('wants to access your Plaza account').waitFor();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((url) => url.href.startsWith(REDIRECT_URI));
  await screenshot(page, 'proxy-app-callback');

  const landed = new URL(page.url());
  t.is(landed.searchParams.get('iss'), nginx.url);
  const code = landed.searchParams.get('code');
  t.truthy(code);
  const cookies = await context.cookies(nginx.url);
  t.true(cookies.some((c) => c.name === 'plaza.session') && cookies.some((c) => c.name === 'plaza.csrf'), cookies.map((c) => c.name).join());
  for (const cookie of cookies) t.true(cookie.secure, `${cookie.name} is not Secure`);
  const tokens = await tokenRequest({ url: plaza.plaza.url }, {
    grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: WEB.client_id, client_secret: WEB.client_secret,
  });
  t.is(tokens.status, 200);
  t.deepEqual(plaza.serverErrors, []);
});

/** What Plaza made of a direct request carrying forged X-Forwarded-* headers: its log line and discovery's endpoints. */
async function directWithForgedHeaders(trustProxy: string | undefined) {
  const lines: string[] = [];
  const server = await startServer({ env: { LOG_LEVEL: 'info', ...(trustProxy ? { TRUST_PROXY: trustProxy } : {}) }, logLines: lines });
  try {
    const res = await fetch(`${server.url}/.well-known/openid-configuration`, { headers: { ...FORGED, 'x-request-id': 'forged' } });
    const discovery = await res.json() as { token_endpoint: string };
    return { server: server.url, ip: requestLines(lines).find((e) => e.requestId === 'forged')?.ip, tokenEndpoint: discovery.token_endpoint };
  } finally {
    await server.stop();
  }
}

test('forged X-Forwarded-* headers are ignored with TRUST_PROXY off and from a peer that is not a trusted proxy', async (t) => {
  for (const trust of [undefined, '0', '10.0.0.0/8, fd00::/8']) {
    const seen = await directWithForgedHeaders(trust);
    t.is(seen.ip, '127.0.0.1', `TRUST_PROXY=${trust}`);
    t.is(seen.tokenEndpoint, `${seen.server}/token`, `TRUST_PROXY=${trust}`);
  }
  // The same headers from the trusted proxy's address are believed.
  const trusted = await directWithForgedHeaders('127.0.0.0/8');
  t.is(trusted.ip, '203.0.113.9');
  t.is(trusted.tokenEndpoint, 'https://evil.example/token');
});
