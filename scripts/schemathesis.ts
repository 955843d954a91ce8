// Runs schemathesis against a real Plaza: starts one on a free loopback port with a fresh store, seeds a user, a
// group and the clients, gets a user token (through the real sign-in and consent forms, with the tests' client
// helpers) and an admin token, submits one encrypted job, then runs schemathesis on /api/openapi.json
// (scripts/schemathesis.toml maps the tokens to the security schemes). Extra arguments go to `schemathesis run`.
// Exits with its status, or 1 when the server reported an error.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../server/config/index.ts';
import { startPlaza } from '../server/plaza.ts';
import { freePort } from '../test/helpers/harness.ts';
import { authorize, Browser, pkce } from '../test/helpers/oauth.ts';
import { encryptRequest, plazaEncryptionKey } from '../test/helpers/async_client.ts';
import { WebhookReceiver } from '../test/helpers/webhook_receiver.ts';

const ROOT = join(import.meta.dirname, '..');
const SCHEMATHESIS = join(ROOT, '.cache', 'schemathesis-venv', 'bin', 'schemathesis');
const WORK_DIR = join(ROOT, '.cache', 'schemathesis');
// Every check that holds for Plaza; left out: positive_data_acceptance and negative_data_rejection, since input valid
// by the schema may still name a client or user that does not exist, and a few fields are read leniently.
const CHECKS = [
  'not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_headers_conformance', 'response_schema_conformance',
  'unsupported_method', 'allow_header_conformance', 'missing_required_header', 'ignored_auth', 'use_after_free', 'ensure_resource_availability',
];
const DEFAULT_ARGS = ['--checks', CHECKS.join(','), '--max-examples', '25', '--request-timeout', '10', '--no-shrink'];
// A hard stop, so that a stuck run cannot hold CI.
const TIME_LIMIT_MS = 5 * 60_000;

const REDIRECT_URI = 'http://127.0.0.1/cb';
const USER = { username: 'alice', password: 'alice-schemathesis-1', name: 'Alice' };
const WEB = {
  client_id: 'web', client_secret: randomBytes(24).toString('base64url'), client_name: 'Web App', redirect_uris: [REDIRECT_URI],
  grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post',
};
const ADMIN = {
  client_id: 'admin-tool', client_secret: randomBytes(24).toString('base64url'), client_name: 'Admin Tool', scope: 'admin',
  grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post',
};

async function token(issuer: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(`${issuer}/token`, { method: 'POST', body: new URLSearchParams(params) });
  const body = await res.json() as { access_token?: string };
  if (!body.access_token) throw new Error(`token request failed: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** Signs the user in and consents through Plaza's pages, as a browser would; returns the authorization code. */
async function authorizationCode(issuer: string, challenge: string, scope: string): Promise<string> {
  const params = { client_id: WEB.client_id, response_type: 'code', redirect_uri: REDIRECT_URI, scope, resource: `${issuer}/api`, code_challenge: challenge, code_challenge_method: 'S256' };
  const { callback } = await authorize({ url: issuer }, new Browser(), params, { username: USER.username, password: USER.password });
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback.href}`);
  return code;
}

/** A finished job with a delivered callback, so that the job operations have a real one to look at. */
async function finishedJob(issuer: string, userToken: string): Promise<string> {
  const auth = { authorization: `Bearer ${userToken}` };
  const { sub } = await (await fetch(`${issuer}/api/me`, { headers: auth })).json() as { sub: string };
  const request = { api: 'messages.post', user: sub, format: 'json', data: { group_id: 'hiking', text: 'hello from schemathesis.ts' } };
  const jwe = await encryptRequest(await plazaEncryptionKey({ url: issuer }), request);
  const res = await fetch(`${issuer}/api/async`, { method: 'POST', headers: { ...auth, 'content-type': 'application/jose' }, body: jwe });
  const { job_id: jobId } = await res.json() as { job_id: string };
  for (let i = 0; i < 200; i += 1) {
    const job = await (await fetch(`${issuer}/api/async/jobs/${jobId}`, { headers: auth })).json() as { state: string; deliveries: { state: string }[] };
    if (job.state === 'succeeded' && job.deliveries[0]?.state === 'delivered') return jobId;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${jobId} did not finish`);
}

async function main(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'plaza-schemathesis-'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  // The apps' callback endpoint, so that adding an app to a group can deliver its ticket.
  const receiver = await new WebhookReceiver().start();
  const serverErrors: unknown[] = [];
  const plaza = await startPlaza(loadConfig({
    NODE_ENV: 'development', DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(port), ISSUER: issuer, LOG_LEVEL: 'silent', ALLOW_INSECURE_CALLBACKS: '1',
  }), { report: (err) => { serverErrors.push(err); } });
  try {
    const callbackUri = receiver.url;
    await plaza.admin.seed({
      users: [USER],
      clients: [{ ...WEB, callback_uri: callbackUri }, ADMIN, {
        client_id: 'poster', client_name: 'Poster App', grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'], response_types: [], redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_post', callback_uri: callbackUri,
      }],
      groups: [{ id: 'hiking', name: 'Weekend Hiking', members: [USER.username] }],
    });
    const { verifier, challenge } = pkce();
    const code = await authorizationCode(issuer, challenge, 'groups:read messages:read messages:post groups:apps');
    const userToken = await token(issuer, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: WEB.client_id, client_secret: WEB.client_secret, resource: `${issuer}/api` });
    const env = {
      ...process.env,
      SCHEMATHESIS_HOOKS: join(ROOT, 'scripts', 'schemathesis_hooks.py'),
      PLAZA_USER_TOKEN: userToken,
      PLAZA_ADMIN_TOKEN: await token(issuer, { grant_type: 'client_credentials', client_id: ADMIN.client_id, client_secret: ADMIN.client_secret, scope: 'admin' }),
      PLAZA_JOB_ID: await finishedJob(issuer, userToken),
    };
    const args = ['--config-file', join(ROOT, 'scripts', 'schemathesis.toml'), 'run', `${issuer}/api/openapi.json`, ...DEFAULT_ARGS, ...process.argv.slice(2)];
    await mkdir(WORK_DIR, { recursive: true });
    const child = spawn(SCHEMATHESIS, args, { env, stdio: 'inherit', cwd: WORK_DIR });
    const timer = setTimeout(() => { console.error(`schemathesis ran longer than ${TIME_LIMIT_MS / 1000} s: stopped`); child.kill('SIGTERM'); }, TIME_LIMIT_MS);
    const status = await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
    clearTimeout(timer);
    for (const err of serverErrors) console.error('server error:', err);
    return serverErrors.length ? 1 : status;
  } finally {
    await plaza.close();
    await receiver.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
