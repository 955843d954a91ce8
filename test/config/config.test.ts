import test from 'ava';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig } from '../../server/config/index.ts';

test('defaults', (t) => {
  const config = loadConfig({});
  t.is(config.issuer, 'http://localhost:3000');
  t.is(config.port, 3000);
  t.is(config.sqliteSynchronous, 'NORMAL');
  t.is(config.ttl.authorizationCode, 60);
  t.false(config.production);
  t.is(config.processes, availableParallelism(), 'one server process per core');
});

test('the issuer follows PORT, and loses a trailing slash', (t) => {
  t.is(loadConfig({ PORT: '8080' }).issuer, 'http://localhost:8080');
  t.is(loadConfig({ ISSUER: 'https://id.example.com/' }).issuer, 'https://id.example.com');
});

test('bad values are refused with a message naming the variable', (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /PORT must be a whole number/],
    [{ ACCESS_TOKEN_TTL: '0' }, /ACCESS_TOKEN_TTL must be a whole number >= 1/],
    [{ ISSUER: 'not a url' }, /ISSUER must be an absolute URL/],
    [{ ISSUER: 'https://id.example.com/?x=1' }, /without query or fragment/],
    [{ SQLITE_SYNCHRONOUS: 'OFF' }, /SQLITE_SYNCHRONOUS must be NORMAL or FULL/],
    [{ COOKIE_KEYS: 'short' }, /COOKIE_KEYS entry must be at least 32 characters/],
    [{ PLAZA_PROCESSES: '0' }, /PLAZA_PROCESSES must be a whole number >= 1/],
  ];
  for (const [env, message] of cases) t.throws(() => loadConfig(env), { instanceOf: ConfigError, message });
});

test('production refuses an http issuer, a missing secret key, insecure callbacks, and an https issuer without a trusted proxy', (t) => {
  const prod = { NODE_ENV: 'production', ISSUER: 'https://id.example.com', PLAZA_SECRET_KEY: 'a'.repeat(64), TRUST_PROXY: '1' };
  t.true(loadConfig(prod).production);
  t.throws(() => loadConfig({ ...prod, ISSUER: 'http://id.example.com' }), { message: /https ISSUER/ });
  t.throws(() => loadConfig({ ...prod, PLAZA_SECRET_KEY: '' }), { message: /PLAZA_SECRET_KEY/ });
  t.throws(() => loadConfig({ ...prod, ALLOW_INSECURE_CALLBACKS: '1' }), { message: /ALLOW_INSECURE_CALLBACKS/ });
  t.throws(() => loadConfig({ ...prod, TRUST_PROXY: '0' }), { instanceOf: ConfigError, message: /https ISSUER needs TRUST_PROXY/ });
  t.throws(() => loadConfig({ ...prod, TRUST_PROXY: '' }), { instanceOf: ConfigError, message: /https ISSUER needs TRUST_PROXY/ });
  t.notThrows(() => loadConfig({ ...prod, ISSUER: 'http://localhost:3000' }));
  t.notThrows(() => loadConfig({ ...prod, ISSUER: 'http://localhost:3000', TRUST_PROXY: '0' }));
});

test('METRICS_TOKEN and METRICS_PORT: /metrics open on PORT by default, closed by a token or moved to a port of its own', (t) => {
  t.like(loadConfig({}), { metricsToken: undefined, metricsPort: undefined });
  t.like(loadConfig({ METRICS_TOKEN: 'a-metrics-token-0123', METRICS_PORT: '9464' }), { metricsToken: 'a-metrics-token-0123', metricsPort: 9464 });
  t.is(loadConfig({ METRICS_PORT: '0' }).metricsPort, 0);
  const cases: [Record<string, string>, RegExp][] = [
    [{ METRICS_TOKEN: 'short' }, /METRICS_TOKEN must be at least 16 printable characters/],
    [{ METRICS_TOKEN: 'has a space in it 0123' }, /METRICS_TOKEN/],
    [{ METRICS_PORT: 'nine' }, /METRICS_PORT must be a whole number/],
    [{ METRICS_PORT: '3000' }, /METRICS_PORT must differ from PORT/],
  ];
  for (const [env, message] of cases) t.throws(() => loadConfig(env), { instanceOf: ConfigError, message });
});

test('TRUST_PROXY: off, a number of hops, or proxy addresses and CIDR ranges', (t) => {
  t.deepEqual(loadConfig({}).trustProxy, { hops: 0 });
  t.deepEqual(loadConfig({ TRUST_PROXY: '0' }).trustProxy, { hops: 0 });
  t.deepEqual(loadConfig({ TRUST_PROXY: '2' }).trustProxy, { hops: 2 });
  t.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.1' }).trustProxy, { proxies: ['10.0.0.1/32'] });
  t.deepEqual(loadConfig({ TRUST_PROXY: ' 10.0.0.0/8 , ::1,fd00::/8' }).trustProxy, { proxies: ['10.0.0.0/8', '::1/128', 'fd00::/8'] });
  for (const bad of ['yes', '-1', '1.5', '10.0.0.0/33', '::1/129', '10.0.0', '10.0.0.1/', '10.0.0.1/8/8', 'proxy.example.com', '10.0.0.1,,10.0.0.2', '10.0.0.1,']) {
    t.throws(() => loadConfig({ TRUST_PROXY: bad }), { instanceOf: ConfigError, message: /^TRUST_PROXY must be 0 \(off\), a number of proxy hops, or a comma-separated list/ }, bad);
  }
});
