// A Plaza process never outlives the process that started it: a test worker that is killed (an ava time-out) leaves
// no server behind holding a port and a store.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import test from 'ava';
import { testEnv, waitUntil } from '../helpers/harness.ts';
import { removeStore } from '../helpers/plaza_process.ts';

const PARENT = join(import.meta.dirname, '..', 'helpers', 'orphaning_parent.ts');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('when the process that started Plaza is killed, Plaza stops', async (t) => {
  const env = await testEnv({ env: { LOG_LEVEL: 'error' } });
  const parent = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', PARENT, JSON.stringify(env)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = Number(await new Promise<string>((resolve) => createInterface({ input: parent.stdout! }).once('line', resolve)));
  try {
    await waitUntil('Plaza is ready', async () => {
      try {
        return (await fetch(`http://127.0.0.1:${env.PORT}/readyz`)).status === 200;
      } catch {
        return false;
      }
    }, 60_000);
    parent.kill('SIGKILL');
    await waitUntil('Plaza has exited after its parent died', async () => !alive(pid), 30_000);
    t.false(alive(pid));
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    parent.kill('SIGKILL');
    await removeStore(env);
  }
});
