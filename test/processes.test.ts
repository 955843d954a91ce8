// PLAZA_PROCESSES: `npm start` serves one port from several processes on one store; one that dies is replaced, and
// SIGTERM stops them all after answering the requests under way.
import test from 'ava';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { testEnv, waitUntil } from './helpers/harness.ts';
import { SERVICE } from './helpers/fixtures.ts';
import { removeStore, spawnPlaza, withPlaza } from './helpers/plaza_process.ts';

const TOKEN_BODY = new URLSearchParams({ grant_type: 'client_credentials', client_id: SERVICE.client_id, client_secret: SERVICE.client_secret }).toString();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** GET on a connection of its own, so that the supervisor hands it to whichever process is next. */
function get(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => { res.resume(); res.once('end', () => resolve(res)); }).once('error', reject).end();
  });
}

test('PLAZA_PROCESSES=2: two processes serve one port, a killed one is replaced, SIGTERM answers what is under way and stops all', async (t) => {
  const env = await testEnv({ env: { PLAZA_PROCESSES: '2', LOG_LEVEL: 'info', RUN_WORKER: '1' } });
  await withPlaza(env, (plaza) => plaza.admin.seed({ clients: [SERVICE] }));
  const output: string[] = [];
  const supervisor = spawnPlaza('server', env, output);
  const exit = once(supervisor, 'exit');
  t.teardown(async () => {
    if (supervisor.exitCode === null) supervisor.kill('SIGKILL');
    await removeStore(env);
  });
  const lines = () => output.flatMap((line) => { try { return [JSON.parse(line) as { pid: number; msg: string; path?: string }]; } catch { return []; } });
  const started = () => new Set(lines().filter((l) => l.msg === 'Plaza started').map((l) => l.pid));
  /** The processes that answered a request for `path`. */
  const servedBy = (path: string) => new Set(lines().filter((l) => l.msg === 'request' && l.path === path).map((l) => l.pid));
  const url = `http://127.0.0.1:${env.PORT}`;

  await waitUntil('two server processes started', async () => started().size === 2);
  const [first, second] = [...started()];
  t.not(first, supervisor.pid);
  t.not(second, supervisor.pid);
  // A connection handed to a process as it is killed is cut: the loops below only count answers.
  const answered = (path: string) => get(`${url}${path}`).then((res) => res.statusCode === 200, () => false);
  await waitUntil('both processes answered', async () => await answered('/jwks') && servedBy('/jwks').size === 2);
  t.deepEqual([...servedBy('/jwks')].sort(), [first, second].sort());

  process.kill(first, 'SIGKILL');
  await waitUntil('the killed process was replaced', async () => started().size === 3);
  const replacement = [...started()].find((pid) => pid !== first && pid !== second)!;
  await waitUntil('the replacement answers', async () => await answered('/.well-known/openid-configuration') && servedBy('/.well-known/openid-configuration').has(replacement));

  // A token request under way: its body is only half sent when SIGTERM comes.
  const req = request(`${url}/token`, {
    method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(TOKEN_BODY) },
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => { req.once('response', resolve); req.once('error', reject); });
  req.write(TOKEN_BODY.slice(0, 20));
  // Time for the process the connection went to to read the request's head; nothing outside it can see that.
  await sleep(300);
  supervisor.kill('SIGTERM');
  await waitUntil('new connections are refused', () => get(`${url}/healthz`).then(() => false, () => true));
  req.end(TOKEN_BODY.slice(20));
  const res = await response;
  t.is(res.statusCode, 200);
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  t.truthy(JSON.parse(Buffer.concat(chunks).toString()).access_token);

  const [code] = await exit;
  t.is(code, 0, 'the supervisor stopped cleanly');
  for (const pid of [second, replacement]) t.false(alive(pid), `server process ${pid} exited`);
  t.deepEqual(lines().filter((l) => (l as { level?: number }).level! >= 50 && l.msg !== 'a Plaza server process died; starting another'), []);
});
