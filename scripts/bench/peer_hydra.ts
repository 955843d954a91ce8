// Ory Hydra as a benchmark peer: built once from the Go module proxy into .cache/peers/, started fresh on a SQLite
// database in WAL mode, with a client_credentials client hashed by its default hasher (PBKDF2).
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { randomBytes } from 'node:crypto';
import { freePort, run, startServer, waitForHttp, type Peer } from './peer_setup.ts';

export const HYDRA_VERSION = 'v2.3.0';
const MODULE = 'github.com/ory/hydra/v2';

/** The hydra binary, built once. The module archive lacks ./internal/httpclient, which one `replace` in its go.mod
 * points to; the published hydra-client-go/v2 that go.mod already requires serves instead. */
async function install(cacheDir: string): Promise<string> {
  const home = join(cacheDir, `hydra-${HYDRA_VERSION}`);
  const binary = join(home, 'hydra');
  if (existsSync(binary)) return binary;
  console.log(`peers: building Ory Hydra ${HYDRA_VERSION} from the Go module proxy (once, a few minutes)...`);
  const { Dir } = JSON.parse(await run('go', ['mod', 'download', '-json', `${MODULE}@${HYDRA_VERSION}`])) as { Dir: string };
  const source = join(home, 'src');
  await rm(home, { recursive: true, force: true });
  await mkdir(home, { recursive: true });
  await run('cp', ['-r', Dir, source]);
  await run('chmod', ['-R', 'u+w', source]);
  await run('go', ['mod', 'edit', '-dropreplace', 'github.com/ory/hydra-client-go/v2'], {}, source);
  await run('nice', ['-n', '10', 'go', 'build', '-mod=mod', '-tags', 'sqlite,sqlite_omit_load_extension',
    '-ldflags', `-X ${MODULE}/driver/config.Version=${HYDRA_VERSION}`, '-o', `${binary}.part`, '.'], {}, source);
  await rename(`${binary}.part`, binary);
  return binary;
}

export async function startHydra(cacheDir: string, workDir: string): Promise<Peer> {
  const binary = await install(cacheDir);
  const database = join(workDir, 'hydra.sqlite');
  const [publicPort, adminPort] = [await freePort(), await freePort()];
  const env = {
    DSN: `sqlite://${database}?_fk=true&_journal_mode=WAL`,
    SECRETS_SYSTEM: randomBytes(24).toString('base64url'),
    // Hydra insists on an https issuer outside `--dev`; TLS itself is off by default, so it serves plain http here.
    URLS_SELF_ISSUER: `https://127.0.0.1:${publicPort}/`,
    SERVE_PUBLIC_HOST: '127.0.0.1',
    SERVE_PUBLIC_PORT: String(publicPort),
    SERVE_ADMIN_HOST: '127.0.0.1',
    SERVE_ADMIN_PORT: String(adminPort),
    // Quiet like Plaza's benchmark (a log line per request otherwise), and no usage reports to a closed network.
    LOG_LEVEL: 'warn',
    SQA_OPT_OUT: 'true',
  };
  await run(binary, ['migrate', 'sql', 'up', '-e', '--yes'], env);
  const server = startServer(binary, ['serve', 'all'], env, join(workDir, 'hydra.log'));
  const admin = `http://127.0.0.1:${adminPort}`;
  try {
    await waitForHttp(`${admin}/health/ready`, 60_000, server);
    const secret = randomBytes(24).toString('base64url');
    const res = await fetch(`${admin}/admin/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_secret: secret, grant_types: ['client_credentials'], response_types: ['token'], token_endpoint_auth_method: 'client_secret_post' }),
    });
    const client = await res.json() as { client_id?: string };
    if (!res.ok || !client.client_id) throw new Error(`creating the client failed: ${res.status} ${JSON.stringify(client)}`);
    // The stored form of the secret names its hasher and parameters, as in `$pbkdf2-sha256$i=25000,l=32$salt$hash`.
    const db = new DatabaseSync(database, { readOnly: true });
    const stored = String((db.prepare('SELECT client_secret FROM hydra_client WHERE id = ?').get(client.client_id) as { client_secret: string }).client_secret);
    db.close();
    const goVersion = await run('go', ['version', binary]).then((out) => out.trim().split(' ').pop(), () => 'Go');
    return {
      name: 'hydra',
      version: HYDRA_VERSION,
      process: server,
      warmupSeconds: 10,
      tokenUrl: `http://127.0.0.1:${publicPort}/oauth2/token`,
      tokenParams: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: secret },
      // Introspection is on the admin port, which authenticates no one by design.
      introspection: (token) => ({ url: `${admin}/admin/oauth2/introspect`, params: { token } }),
      introspects: 'the client_credentials access token, on the admin port (no client authentication)',
      secretHashing: stored.startsWith('$') ? stored.split('$').slice(1, 3).join(' ') : 'none',
      journalMode: { sqliteFile: database },
      configuration: `\`hydra serve all\` built by ${goVersion} with \`-tags sqlite,sqlite_omit_load_extension\`, DSN \`sqlite://…?_fk=true&_journal_mode=WAL\`, LOG_LEVEL=warn, SQA_OPT_OUT=true, a client_credentials client (client_secret_post) made through the admin API at the default hasher`,
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
