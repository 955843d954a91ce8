// Logs with request ids and without secrets; metrics and readiness an operator can scrape.
import test from 'ava';
import { startServer } from '../helpers/harness.ts';
import { tokenRequest } from '../helpers/oauth.ts';
import { codeFor, redeemCode, seedBasics, ALICE, SERVICE } from '../helpers/fixtures.ts';

test('JSON logs carry request ids and no secrets; /metrics and /readyz answer', async (t) => {
  const lines: string[] = [];
  const server = await startServer({ env: { LOG_LEVEL: 'info' }, logLines: lines });
  t.teardown(() => server.stop());
  await seedBasics(server);
  const { code, verifier } = await codeFor(server);
  const tokens = await redeemCode(server, code, verifier);
  const cc = await tokenRequest(server, { grant_type: 'client_credentials', client_id: SERVICE.client_id, client_secret: SERVICE.client_secret });
  const traced = await fetch(`${server.url}/.well-known/openid-configuration`, { headers: { 'x-request-id': 'trace-123' } });
  t.is(traced.headers.get('x-request-id'), 'trace-123');
  t.regex((await fetch(`${server.url}/jwks`)).headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);

  const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const requests = entries.filter((e) => e.msg === 'request');
  t.true(requests.length >= 6);
  t.true(requests.every((e) => typeof e.requestId === 'string' && typeof e.status === 'number' && typeof e.ms === 'number'));
  t.true(requests.some((e) => e.requestId === 'trace-123'));
  const all = lines.join('\n');
  for (const secret of [ALICE.password, SERVICE.client_secret, code, tokens.body.access_token, tokens.body.refresh_token, cc.body.access_token]) {
    t.false(all.includes(secret), 'a secret or token reached the log');
  }

  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  t.regex(metrics, /plaza_http_requests_total\{method="POST",route="token",status="200"\} \d+/);
  t.regex(metrics, /plaza_tokens_issued_total\{grant_type="client_credentials"\} 1/);
  t.regex(metrics, /plaza_tokens_issued_total\{grant_type="authorization_code"\} 1/);
  t.regex(metrics, /plaza_jobs_queued 0/);
  const ready = await fetch(`${server.url}/readyz`);
  t.is(ready.status, 200);
  t.like(await ready.json(), { status: 'ready' });
  t.is((await fetch(`${server.url}/healthz`)).status, 200);
});

test('METRICS_TOKEN closes /metrics to anyone without it', async (t) => {
  const token = 'metrics-token-0123456789abcdef';
  const server = await startServer({ env: { METRICS_TOKEN: token } });
  t.teardown(() => server.stop());
  for (const authorization of [undefined, 'Bearer wrong-token-0123456789abcdef', `Basic ${token}`, `Bearer ${token}x`]) {
    const res = await fetch(`${server.url}/metrics`, { headers: authorization ? { authorization } : {} });
    t.is(res.status, 401, String(authorization));
    t.is(res.headers.get('www-authenticate'), 'Bearer realm="metrics"');
  }
  const open = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  t.is(open.status, 200);
  t.regex(await open.text(), /plaza_http_requests_total/);
});

test('METRICS_PORT serves /metrics on a loopback port of its own, and not on the main port', async (t) => {
  const server = await startServer({ env: { METRICS_PORT: '0' } });
  t.teardown(() => server.stop());
  t.is((await fetch(`${server.url}/metrics`)).status, 404);
  t.regex(server.plaza.metricsUrl!, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const res = await fetch(server.plaza.metricsUrl!);
  t.is(res.status, 200);
  t.regex(await res.text(), /plaza_http_requests_total\{method="GET",route="other",status="404"\} 1/);
});
