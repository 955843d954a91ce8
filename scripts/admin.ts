// `npm run -s admin -- <command>`: the operator's CLI. It opens the store directly and calls the same
// operations as the admin HTTP API. Add --json to any command for machine-readable output.
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { clientErrorOf } from '../server/http/index.ts';
import { ConfigError, loadConfig, loadDotEnv } from '../server/config/index.ts';
import { createPlaza } from '../server/plaza.ts';
import { SecretBox, SecretKeyError } from '../server/store/index.ts';

const USAGE = `usage: npm run -s admin -- <command> [options] [--json]

  users add --username U --password P [--name N] [--email E]
  users list
  clients add --metadata '<RFC 7591 JSON>'      (or --file metadata.json)
  clients list
  clients remove <client_id>
  apps list                                     (every client with its owner, verified and suspended)
  apps suspend <client_id>                      (its tokens stop working at once; apps unsuspend <client_id> lifts it)
  apps verify <client_id>                       (users no longer see "unverified app"; apps unverify <client_id>)
  registration token [--owner USERNAME]         (an RFC 7591 initial access token for one registration at /reg)
  groups add --id G [--name N] [--member USERNAME ...]
  groups list
  groups remove-member --id G --member USERNAME
  hosts add --metadata '<JSON: id, kind (code2session|jwt), ...>'   (or --file host.json)
  hosts list
  db migrate                                    (create the store's indexes; MongoDB in production needs it)
  db export [file.jsonl]                        (every live document, as JSON lines, to a file or stdout)
  db import <file.jsonl>                        (into the store MONGODB_URI or DATA_DIR names)
  keys rotate                                   (running servers pick up new keys on restart)
  secrets rotate                                (re-seal client, webhook and host secrets, signing, encryption
                                                 and cookie keys and the DPoP nonce secret under the newest
                                                 PLAZA_SECRET_KEY, or under a new key added to DATA_DIR/secret.key)
  seed <file.json>`;

class UsageError extends Error {}

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean', default: false },
    username: { type: 'string' },
    password: { type: 'string' },
    name: { type: 'string' },
    email: { type: 'string' },
    metadata: { type: 'string' },
    file: { type: 'string' },
    id: { type: 'string' },
    member: { type: 'string', multiple: true },
    owner: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read JSON from ${path}: ${(err as Error).message}`);
  }
}

function parseJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError('--metadata must be JSON');
  }
}

/** The JSON object given with --file or --metadata. */
async function jsonInput(command: string): Promise<Record<string, unknown>> {
  const input = opts.file ? await readJson(opts.file) : opts.metadata ? parseJson(opts.metadata) : undefined;
  if (!input) throw new UsageError(`${command} needs --metadata or --file`);
  return input as Record<string, unknown>;
}

function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (!rows.length) return '(none)';
  return rows.map((r) => columns.map((c) => `${c}=${Array.isArray(r[c]) ? (r[c] as unknown[]).join(',') : r[c] ?? ''}`).join('  ')).join('\n');
}

async function run(): Promise<void> {
  const [area, action, arg] = positionals;
  if (opts.help || !area) {
    console.log(USAGE);
    return;
  }
  loadDotEnv();
  const config = loadConfig();
  const rotatingFileKey = `${area} ${action}` === 'secrets rotate' && !config.secretKey;
  // A development key lives in DATA_DIR/secret.key: the new key goes first there before Plaza opens it.
  if (rotatingFileKey) SecretBox.addKeyToFile(config.dataDir);
  const plaza = await createPlaza(config);
  const { admin } = plaza;
  const print = (value: unknown, text: () => string) => console.log(opts.json ? JSON.stringify(value, null, 2) : text());
  try {
    switch (area === 'seed' ? 'seed' : `${area} ${action ?? ''}`.trim()) {
      case 'users add': {
        const user = await admin.createUser({ username: opts.username, password: opts.password, name: opts.name, email: opts.email });
        return print(user, () => `created user ${user.username} (sub ${user.sub})`);
      }
      case 'users list': {
        const users = await admin.listUsers();
        return print(users, () => table(users as never, ['username', 'name', 'email', 'sub']));
      }
      case 'clients add': {
        const client = await admin.createClient(await jsonInput('clients add'));
        return print(client, () => [
          `registered client ${client.client_id}`,
          ...(client.client_secret ? [`client_secret (shown once): ${client.client_secret}`] : []),
          ...(client.webhook_secret ? [`webhook_secret (shown once): ${client.webhook_secret}`] : []),
        ].join('\n'));
      }
      case 'clients list': {
        const clients = await admin.listClients();
        return print(clients, () => table(clients, ['client_id', 'client_name', 'token_endpoint_auth_method', 'grant_types']));
      }
      case 'clients remove': {
        if (!arg) throw new UsageError('clients remove needs a client_id');
        const removed = await admin.removeClient(arg);
        if (!removed) throw new UsageError(`no client ${arg}`);
        return print({ removed: arg }, () => `removed client ${arg}`);
      }
      case 'apps list': {
        const apps = await admin.listApps();
        return print(apps, () => table(apps as never, ['client_id', 'client_name', 'registrar', 'owner', 'kind', 'verified', 'suspended']));
      }
      case 'apps suspend':
      case 'apps unsuspend':
      case 'apps verify':
      case 'apps unverify': {
        if (!arg) throw new UsageError(`apps ${action} needs a client_id`);
        const done = action.endsWith('suspend') ? await admin.suspendClient(arg, action === 'suspend') : await admin.verifyClient(arg, action === 'verify');
        if (!done) throw new UsageError(`no client ${arg}`);
        return print({ client_id: arg, done: action }, () => `${action}: ${arg}`);
      }
      case 'registration token': {
        const token = await admin.createInitialAccessToken(opts.owner);
        return print(token, () => `initial access token (shown once, registers one client at ${config.issuer}/reg, expires ${token.expires_at}):\n${token.token}`);
      }
      case 'groups add': {
        const group = await admin.upsertGroup({ id: opts.id, name: opts.name, members: opts.member ?? [] });
        return print(group, () => `group ${group.id} (${group.name}): ${group.members.join(', ') || 'no members'}`);
      }
      case 'groups remove-member': {
        const [username] = opts.member ?? [];
        if (!opts.id || !username) throw new UsageError('groups remove-member needs --id and --member');
        if (!await admin.removeMember(opts.id, username)) throw new UsageError(`${username} is not a member of ${opts.id}`);
        return print({ removed: username, group: opts.id }, () => `removed ${username} from ${opts.id}`);
      }
      case 'groups list': {
        const groups = await admin.listGroups();
        return print(groups, () => table(groups as never, ['id', 'name', 'members']));
      }
      case 'hosts add': {
        const host = await admin.addHost(await jsonInput('hosts add'));
        return print(host, () => `registered host ${host.id} (${host.kind})`);
      }
      case 'hosts list': {
        const hosts = await admin.listHosts();
        return print(hosts, () => table(hosts as never, ['id', 'kind', 'platform', 'url', 'issuer']));
      }
      case 'db migrate': {
        const collections = await admin.migrate();
        return print({ collections }, () => `indexes in place for ${collections.length} collections`);
      }
      case 'db export': {
        const out = arg ? createWriteStream(arg) : process.stdout;
        let lines = 0;
        for await (const line of admin.exportData()) {
          if (!out.write(`${line}\n`)) await once(out, 'drain');
          lines += 1;
        }
        if (arg) {
          await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? reject(err) : resolve())));
          print({ exported: lines, file: arg }, () => `exported ${lines} documents to ${arg}`);
        }
        return;
      }
      case 'db import': {
        if (!arg) throw new UsageError('db import needs a file');
        const counts = await admin.importData(createInterface({ input: createReadStream(arg), crlfDelay: Infinity }));
        return print(counts, () => Object.entries(counts).map(([c, n]) => `${c}: ${n}`).join('\n') || 'nothing to import');
      }
      case 'keys rotate': {
        const result = await admin.rotateKeys();
        return print(result, () => `added keys ${result.added.join(', ')}; kept ${result.kept.length} older keys for verification. Restart Plaza to sign with the new keys.`);
      }
      case 'secrets rotate': {
        const resealed = await admin.resealSecrets();
        return print(resealed, () => [
          `re-sealed the secrets of ${resealed.clients} clients and ${resealed.hosts} hosts, and ${resealed.keys} sets of keys and shared secrets, under the newest key`,
          rotatingFileKey
            ? `(a new key was added first to ${config.dataDir}/secret.key; running processes read it when they meet it)`
            : 'the older keys may now be removed from PLAZA_SECRET_KEY (restart every process after that)',
        ].join('\n'));
      }
      case 'seed': {
        if (!action) throw new UsageError('seed needs a file');
        const summary = await admin.seed(await readJson(action));
        return print(summary, () => [
          `users: ${summary.users.created} created, ${summary.users.updated} updated`,
          `clients: ${summary.clients.created} created, ${summary.clients.updated} updated`,
          ...Object.entries(summary.clients.secrets).map(([id, secret]) => `  client_secret for ${id} (shown once): ${secret}`),
          ...Object.entries(summary.clients.webhook_secrets).map(([id, secret]) => `  webhook_secret for ${id} (shown once): ${secret}`),
          `groups: ${summary.groups}`,
          `hosts: ${summary.hosts}`,
        ].join('\n'));
      }
      default:
        throw new UsageError(`unknown command: ${positionals.join(' ')}\n\n${USAGE}`);
    }
  } finally {
    await plaza.close();
  }
}

try {
  await run();
} catch (err) {
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof SecretKeyError || clientErrorOf(err)) {
    const { message } = err as Error;
    console.error(opts.json ? JSON.stringify({ error: message }) : `error: ${message}`);
    process.exit(2);
  }
  throw err;
}
