// Keycloak as a benchmark peer: the keycloak-quarkus-dist zip from Maven Central, unpacked under .cache/peers/ once,
// started fresh (`start-dev`, its H2 file database) with a realm and a confidential client with service accounts
// made by kcadm.sh. Keycloak 26 needs Java 21 or newer.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { download, freePort, javaHome, javaName, run, startServer, waitForHttp, type Peer } from './peer_setup.ts';

export const KEYCLOAK_VERSION = '26.7.3';
const ARTIFACT = `https://repo.maven.apache.org/maven2/org/keycloak/keycloak-quarkus-dist/${KEYCLOAK_VERSION}/keycloak-quarkus-dist-${KEYCLOAK_VERSION}.zip`;
const REALM = 'bench';
const CLIENT_ID = 'bench-cc';
// Keycloak compiles its hot paths late: about a minute of load before its figures settle.
const WARMUP_SECONDS = 60;

async function sha1(file: string): Promise<string> {
  const hash = createHash('sha1');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** The unpacked distribution under .cache/peers/, downloaded and checked against Maven Central's SHA-1 once. */
async function install(cacheDir: string): Promise<string> {
  const home = join(cacheDir, `keycloak-${KEYCLOAK_VERSION}`);
  if (existsSync(join(home, 'bin', 'kc.sh'))) return home;
  await mkdir(cacheDir, { recursive: true });
  const zip = join(cacheDir, `keycloak-quarkus-dist-${KEYCLOAK_VERSION}.zip`);
  if (!existsSync(zip)) {
    console.log(`peers: downloading Keycloak ${KEYCLOAK_VERSION} from Maven Central (once)...`);
    await download(ARTIFACT, `${zip}.part`);
    const expected = (await (await fetch(`${ARTIFACT}.sha1`)).text()).trim().slice(0, 40);
    const actual = await sha1(`${zip}.part`);
    if (actual !== expected) throw new Error(`Keycloak zip SHA-1 ${actual} is not Maven Central's ${expected}`);
    await rename(`${zip}.part`, zip);
  }
  const unpacking = join(cacheDir, 'keycloak-unpacking');
  await rm(unpacking, { recursive: true, force: true });
  await run('unzip', ['-q', zip, '-d', unpacking]);
  await rename(join(unpacking, `keycloak-${KEYCLOAK_VERSION}`), home);
  await rm(unpacking, { recursive: true, force: true });
  return home;
}

export async function startKeycloak(cacheDir: string, workDir: string): Promise<Peer> {
  const java = await javaHome(21);
  const home = await install(cacheDir);
  // A fresh database each run: start-dev keeps it under data/ of the installation.
  await rm(join(home, 'data'), { recursive: true, force: true });
  const [port, managementPort] = [await freePort(), await freePort()];
  const adminPassword = randomBytes(18).toString('base64url');
  const env = { JAVA_HOME: java, KC_BOOTSTRAP_ADMIN_USERNAME: 'admin', KC_BOOTSTRAP_ADMIN_PASSWORD: adminPassword };
  const server = startServer(join(home, 'bin', 'kc.sh'), ['start-dev', '--http-host=127.0.0.1', `--http-port=${port}`, `--http-management-port=${managementPort}`], env, join(workDir, 'keycloak.log'));
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/realms/master/.well-known/openid-configuration`, 240_000, server);
    const kcadm = (...argv: string[]) => run(join(home, 'bin', 'kcadm.sh'), [...argv, '--config', join(workDir, 'kcadm.config')], { JAVA_HOME: java });
    await kcadm('config', 'credentials', '--server', base, '--realm', 'master', '--user', 'admin', '--password', adminPassword);
    await kcadm('create', 'realms', '-s', `realm=${REALM}`, '-s', 'enabled=true');
    const secret = randomBytes(24).toString('base64url');
    const id = (await kcadm('create', 'clients', '-r', REALM, '-i', '-s', `clientId=${CLIENT_ID}`, '-s', `secret=${secret}`, '-s', 'publicClient=false',
      '-s', 'serviceAccountsEnabled=true', '-s', 'standardFlowEnabled=false', '-s', 'directAccessGrantsEnabled=false')).trim();
    // Keycloak 26 introspects a token only for a client in its audience: the client names itself there.
    await kcadm('create', `clients/${id}/protocol-mappers/models`, '-r', REALM, '-s', 'name=audience', '-s', 'protocol=openid-connect', '-s', 'protocolMapper=oidc-audience-mapper',
      '-s', `config."included.client.audience"=${CLIENT_ID}`, '-s', 'config."access.token.claim"=true', '-s', 'config."introspection.token.claim"=true');
    // Keycloak keeps client secrets as they are: its admin API reads the secret back.
    const stored = JSON.parse(await kcadm('get', `clients/${id}/client-secret`, '-r', REALM)) as { value?: string };
    const oidc = `${base}/realms/${REALM}/protocol/openid-connect`;
    return {
      name: 'keycloak',
      version: KEYCLOAK_VERSION,
      process: server,
      warmupSeconds: WARMUP_SECONDS,
      tokenUrl: `${oidc}/token`,
      tokenParams: { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: secret },
      introspection: (token) => ({ url: `${oidc}/token/introspect`, params: { token, client_id: CLIENT_ID, client_secret: secret } }),
      introspects: 'the client_credentials access token',
      secretHashing: stored.value === secret ? 'none (the admin API reads the secret back)' : 'not retrievable',
      journalMode: 'n/a (H2 file database of start-dev)',
      configuration: `\`kc.sh start-dev\` on ${javaName(java)} (its H2 file database, default JVM options), a realm \`${REALM}\` and a confidential client with service accounts made by kcadm.sh (client_secret_post), with an audience mapper naming the client itself, which Keycloak 26 requires of a client that introspects`,
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
