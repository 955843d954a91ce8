// examples/async-caller.ts, run as its own process: an encrypted request, and the signed, encrypted callback decrypted.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { exportJWK, generateKeyPair } from 'jose';
import { Example } from '../helpers/examples.ts';
import { freePort, startServer } from '../helpers/harness.ts';
import { seedBasics, ALICE, REDIRECT_URI } from '../helpers/fixtures.ts';
import { api, userApiToken } from '../helpers/social.ts';

test('the job runs, its callback is verified and decrypted by the app, and the message is in the group', async (t) => {
  const plaza = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', WORKER_POLL_MS: '20' } });
  const callbackUrl = `http://127.0.0.1:${await freePort()}/callbacks`;
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
  const app = {
    client_id: 'example-async', client_secret: 'example-async-secret-0123456789-0', client_name: 'Example Async App',
    redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post',
    callback_uri: callbackUrl, webhook_secret: `whsec_${randomBytes(32).toString('base64')}`,
    jwks: { keys: [{ ...await exportJWK(publicKey), use: 'enc', alg: 'ECDH-ES', kid: 'example-enc-1' }] },
  };
  await seedBasics(plaza);
  await plaza.plaza.admin.seed({ clients: [app], groups: [{ id: 'hiking', name: 'Weekend Hiking', members: [ALICE.username] }] });
  const token = await userApiToken(plaza, ALICE, 'messages:post', app);

  const example = new Example('async-caller', {
    PLAZA_ISSUER: plaza.url, CLIENT_ID: app.client_id, CLIENT_SECRET: app.client_secret, WEBHOOK_SECRET: app.webhook_secret, ACCESS_TOKEN: token,
    APP_PRIVATE_JWK: JSON.stringify({ ...await exportJWK(privateKey), alg: 'ECDH-ES' }), CALLBACK_URL: callbackUrl, GROUP_ID: 'hiking',
  });
  t.teardown(async () => {
    await example.stop();
    await plaza.stop();
  });
  t.is(await example.exitCode(), 0, example.lines.join('\n'));
  const [, jobId] = await example.line(/^async-caller example: job (\S+) queued$/);
  const callback = JSON.parse(example.lines.at(-1)!);
  t.like(callback, { type: 'job.succeeded', data: { job_id: jobId, api: 'messages.post', result: { text: 'Posted asynchronously', group_id: 'hiking' } } });
  const { body: messages } = await api(plaza, 'GET', '/groups/hiking/messages', await userApiToken(plaza));
  t.true(messages.some((m: { id: string; text: string }) => m.id === callback.data.result.id && m.text === 'Posted asynchronously'));
  t.deepEqual(plaza.serverErrors, []);
});
