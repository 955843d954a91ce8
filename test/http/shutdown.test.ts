// Graceful shutdown (what SIGTERM runs): stop accepting, let requests under way finish, cut them after the grace.
import test from 'ava';
import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { rm } from 'node:fs/promises';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { seedBasics, SERVICE } from '../helpers/fixtures.ts';

const BODY = new URLSearchParams({ grant_type: 'client_credentials', client_id: SERVICE.client_id, client_secret: SERVICE.client_secret }).toString();

/** A token request whose body is only half sent, once the server has begun handling it. */
async function halfSentTokenRequest(server: TestServer, agent: Agent | false = false): Promise<{ req: ClientRequest; response: Promise<IncomingMessage> }> {
  const begun = new Promise((resolve) => server.plaza.server.once('request', resolve));
  const req = request(`${server.url}/token`, {
    method: 'POST', agent,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(BODY) },
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => { req.once('response', resolve); req.once('error', reject); });
  response.catch(() => {});
  req.write(BODY.slice(0, 20));
  await begun;
  return { req, response };
}

async function readJson(res: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

test('a request under way when shutdown begins is answered; new connections are refused', async (t) => {
  const server = await startServer();
  t.teardown(() => rm(server.dataDir, { recursive: true, force: true }));
  await seedBasics(server);
  const { req, response } = await halfSentTokenRequest(server);

  const closed = server.plaza.close();
  await t.throwsAsync(fetch(`${server.url}/healthz`), undefined, 'no new connections');
  req.end(BODY.slice(20));
  const res = await response;
  t.is(res.statusCode, 200);
  t.truthy((await readJson(res)).access_token);
  await closed;
});

test('a request that does not finish within the grace period is cut, and shutdown completes', async (t) => {
  const server = await startServer({ env: { SHUTDOWN_GRACE_MS: '200' } });
  t.teardown(() => rm(server.dataDir, { recursive: true, force: true }));
  await seedBasics(server);
  const { req, response } = await halfSentTokenRequest(server);
  t.teardown(() => req.destroy());
  await server.plaza.close();
  await t.throwsAsync(response, undefined, 'the connection was cut');
});

test('a keep-alive connection gets its answer with Connection: close once shutdown began, and is not kept', async (t) => {
  const server = await startServer({ env: { SHUTDOWN_GRACE_MS: '60000' } });
  t.teardown(() => rm(server.dataDir, { recursive: true, force: true }));
  await seedBasics(server);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const first = await new Promise<IncomingMessage>((resolve, reject) => {
    request(`${server.url}/healthz`, { agent }, (res) => { res.resume(); res.once('end', () => resolve(res)); }).once('error', reject).end();
  });
  t.is(first.headers.connection, 'keep-alive');
  const { req, response } = await halfSentTokenRequest(server, agent);
  const closed = server.plaza.close();
  req.end(BODY.slice(20));
  const res = await response;
  t.is(res.statusCode, 200);
  t.is(res.headers.connection, 'close');
  await readJson(res);
  await closed;
});
