// examples/mini-program-backend.ts, run as its own process: a host login code becomes a Plaza sign-in.
import test from 'ava';
import { Example } from '../helpers/examples.ts';
import { FakeCode2Session } from '../helpers/fake_hosts.ts';
import { freePort, startServer } from '../helpers/harness.ts';
import { TOKEN_EXCHANGE } from '../helpers/social.ts';

test('the backend exchanges a host login code: the same host user is the same Plaza account, a used code is refused', async (t) => {
  const host = await new FakeCode2Session().start();
  host.apps.set('example-app-at-host', 'example-host-secret');
  const plaza = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1' } });
  const mini = {
    client_id: 'example-mini', client_secret: 'example-mini-secret-0123456789-01', client_name: 'Example Mini-Program',
    grant_types: [TOKEN_EXCHANGE], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post', plaza_hosts: ['wx'],
  };
  await plaza.plaza.admin.seed({
    hosts: [{ id: 'wx', kind: 'code2session', platform: 'wechat', url: host.url, app_id: 'example-app-at-host', app_secret: 'example-host-secret' }],
    clients: [mini],
  });
  const port = await freePort();
  const example = new Example('mini-program-backend', { PLAZA_ISSUER: plaza.url, CLIENT_ID: mini.client_id, CLIENT_SECRET: mini.client_secret, HOST_ID: 'wx', PORT: String(port) });
  t.teardown(async () => {
    await example.stop();
    await plaza.stop();
    await host.stop();
  });
  await example.line(/^mini-program-backend example: POST /);
  const login = async (code: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/login`, { method: 'POST', body: JSON.stringify({ code }) });
    return { status: res.status, body: await res.json() as Record<string, any> };
  };

  const code = host.code('openid-42');
  const first = await login(code);
  t.is(first.status, 200, JSON.stringify(first.body));
  t.regex(first.body.sub, /^[\w-]{43}$/, 'the app\'s own pairwise sub for the user (an HMAC-SHA256), not the account id');
  t.deepEqual(first.body.groups, [], 'the API answered with the new account\'s groups');
  const again = await login(host.code('openid-42'));
  t.is(again.body.sub, first.body.sub, 'the same host user signs in to the same account');
  t.not((await login(host.code('openid-43'))).body.sub, first.body.sub);
  t.deepEqual(await login(code), { status: 401, body: { error: 'invalid_grant' } }, 'a login code works once');
  t.deepEqual(plaza.serverErrors, []);
});
