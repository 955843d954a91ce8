// A lost connection to MongoDB: requests fail fast with 503, readiness says so, and Plaza recovers by itself
// when the server is back. Needs the FerretDB binary the Mongo leg builds.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, startServer, tempDir, waitUntil } from '../helpers/harness.ts';
import { seedBasics } from '../helpers/fixtures.ts';
import { api, userApiToken } from '../helpers/social.ts';

const FERRETDB = join(import.meta.dirname, '..', '..', '.cache', 'go', 'bin', 'ferretdb');

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

if (!process.env.PLAZA_TEST_MONGODB_URI || !existsSync(FERRETDB)) {
  test('mongo outage: skipped, runs on the Mongo leg with FerretDB built', (t) => { t.pass(); });
} else {
  test('MongoDB goes away: 503 at once, and back to normal when it returns', async (t) => {
    const port = await freePort();
    const dir = await tempDir('plaza-ferret-');
    const startFerret = (): ChildProcess => spawn(FERRETDB, [
      '--handler=sqlite', `--sqlite-url=file:${dir}/`, `--state-dir=${dir}`, `--listen-addr=127.0.0.1:${port}`, '--debug-addr=-', '--telemetry=disable', '--log-level=error',
    ], { stdio: 'ignore' });
    let ferret = startFerret();
    t.teardown(() => { ferret.kill('SIGKILL'); });
    await waitUntil('FerretDB listens', () => listening(port));

    const server = await startServer({ env: { MONGODB_URI: `mongodb://127.0.0.1:${port}/outage`, MONGODB_TIMEOUT_MS: '500' } });
    t.teardown(() => server.plaza.close());
    await seedBasics(server);
    const token = await userApiToken(server, undefined, 'groups:read');
    t.is((await fetch(`${server.url}/readyz`)).status, 200);
    t.is((await api(server, 'GET', '/groups', token)).status, 200);

    ferret.kill('SIGKILL');
    await new Promise((resolve) => ferret.once('exit', resolve));
    t.is((await fetch(`${server.url}/readyz`)).status, 503);
    const down = await api(server, 'GET', '/groups', token);
    t.is(down.status, 503);
    t.is(down.type, 'application/problem+json');

    ferret = startFerret();
    await waitUntil('Plaza is ready again', async () => (await fetch(`${server.url}/readyz`)).status === 200);
    t.is((await api(server, 'GET', '/groups', token)).status, 200);
    // Background workers report the outage while it lasts; nothing else went wrong.
    t.true(server.serverErrors.every((err) => (err as Error).name === 'StoreUnavailableError'));
  });
}
