// The admin CLI as an operator runs it: a separate process on the same DATA_DIR.
import test from 'ava';
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runAdmin } from '../helpers/admin_cli.ts';
import { tempDir } from '../helpers/harness.ts';

const admin = (dataDir: string, ...args: string[]) => runAdmin({ DATA_DIR: dataDir }, ...args);

test('seed, list and create through the CLI, with --json output', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const seedFile = join(dir, 'seed.json');
  await writeFile(seedFile, JSON.stringify({
    users: [{ username: 'erin', password: 'erin-password-1', name: 'Erin' }],
    clients: [{ client_id: 'cli-app', redirect_uris: ['https://cli.example/cb'], client_name: 'CLI App' }],
    groups: [{ id: 'g1', name: 'Group One', members: ['erin'] }],
  }));
  const seeded = await admin(dir, 'seed', seedFile, '--json');
  t.is(seeded.code, 0, seeded.stderr);
  const summary = JSON.parse(seeded.stdout);
  t.is(summary.users.created, 1);
  t.regex(summary.clients.secrets['cli-app'], /^[A-Za-z0-9_-]{43}$/);
  const again = JSON.parse((await admin(dir, 'seed', seedFile, '--json')).stdout);
  t.deepEqual(again.clients.secrets, {}, 'a kept secret is not shown again');
  t.is(again.users.created, 0);

  const users = JSON.parse((await admin(dir, 'users', 'list', '--json')).stdout);
  t.deepEqual(users.map((u: { username: string }) => u.username), ['erin']);
  const groups = JSON.parse((await admin(dir, 'groups', 'list', '--json')).stdout);
  t.deepEqual(groups, [{ id: 'g1', name: 'Group One', members: ['erin'] }]);

  const removed = await admin(dir, 'groups', 'remove-member', '--id', 'g1', '--member', 'erin');
  t.is(removed.code, 0, removed.stderr);
  t.deepEqual(JSON.parse((await admin(dir, 'groups', 'list', '--json')).stdout)[0].members, []);
  t.is((await admin(dir, 'groups', 'remove-member', '--id', 'g1', '--member', 'erin')).code, 2);

  const added = await admin(dir, 'users', 'add', '--username', 'frank', '--password', 'frank-password-1', '--email', 'frank@example.com');
  t.is(added.code, 0);
  t.regex(added.stdout, /created user frank/);
  t.regex((await admin(dir, 'users', 'list')).stdout, /username=frank {2}name=frank {2}email=frank@example.com/);
  const duplicate = await admin(dir, 'users', 'add', '--username', 'frank', '--password', 'frank-password-1');
  t.is(duplicate.code, 2);
  t.regex(duplicate.stderr, /already exists/);

  const client = await admin(dir, 'clients', 'add', '--metadata', '{"client_id":"m2m","grant_types":["client_credentials"],"response_types":[],"redirect_uris":[]}', '--json');
  t.regex(JSON.parse(client.stdout).client_secret, /^[A-Za-z0-9_-]{43}$/);
  const clients = JSON.parse((await admin(dir, 'clients', 'list', '--json')).stdout);
  t.deepEqual(clients.map((c: { client_id: string }) => c.client_id), ['cli-app', 'm2m']);
  t.true(clients.every((c: { client_secret?: string }) => c.client_secret === undefined));

  const host = await admin(dir, 'hosts', 'add', '--metadata', '{"id":"wx","kind":"code2session","url":"https://h.example/s","app_id":"a","app_secret":"very-secret"}', '--json');
  t.is(host.code, 0, host.stderr);
  const hosts = JSON.parse((await admin(dir, 'hosts', 'list', '--json')).stdout);
  t.like(hosts[0], { id: 'wx', kind: 'code2session', app_id: 'a' });
  t.false(JSON.stringify(hosts).includes('very-secret'));
  const badHost = await admin(dir, 'hosts', 'add', '--metadata', '{"id":"wx","kind":"nope"}');
  t.is(badHost.code, 2);
  t.regex(badHost.stderr, /kind must be/);

  const rotated = JSON.parse((await admin(dir, 'keys', 'rotate', '--json')).stdout);
  t.is(rotated.added.length, 4);
  t.is(rotated.kept.length, 4);

  const unknown = await admin(dir, 'frobnicate');
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown command/);
});
