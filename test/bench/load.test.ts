// The benchmark's load generator: single-use variants are never sent twice, however fast the server answers.
import test from 'ava';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/harness.ts';

test('a run of single-use variants ends when they are used up instead of replaying one', async (t) => {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => { bodies.push(body); res.end('ok'); });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  // Far fewer variants than a loopback server answers in the run's time.
  const variantsFile = join(await tempDir(), 'variants.json');
  await writeFile(variantsFile, JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ body: `variant-${i}` }))));
  const job = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, method: 'POST', variantsFile, seconds: 2, warmupSeconds: 1, connections: 8 };
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, join(import.meta.dirname, '../../scripts/bench/load.ts'), JSON.stringify(job)]);
  const figures = JSON.parse(stdout) as { errors: number; requests: number; rps: number };
  t.is(new Set(bodies).size, bodies.length, 'no variant was sent twice');
  t.true(bodies.length <= 400);
  t.is(figures.errors, 0);
  t.true(figures.requests > 0 && figures.rps > 0);
});
