import test from 'ava';
import { ConfigError, loadConfig } from '../../server/config/index.ts';

test('defaults', (t) => {
  const config = loadConfig({});
  t.is(config.issuer, 'http://localhost:3000');
  t.is(config.port, 3000);
  t.is(config.sqliteSynchronous, 'NORMAL');
  t.is(config.ttl.authorizationCode, 60);
  t.false(config.production);
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
  ];
  for (const [env, message] of cases) t.throws(() => loadConfig(env), { instanceOf: ConfigError, message });
});

test('production refuses an http issuer, a missing secret key and insecure callbacks', (t) => {
  const prod = { NODE_ENV: 'production', ISSUER: 'https://id.example.com', PLAZA_SECRET_KEY: 'a'.repeat(64) };
  t.true(loadConfig(prod).production);
  t.throws(() => loadConfig({ ...prod, ISSUER: 'http://id.example.com' }), { message: /https ISSUER/ });
  t.throws(() => loadConfig({ ...prod, PLAZA_SECRET_KEY: '' }), { message: /PLAZA_SECRET_KEY/ });
  t.throws(() => loadConfig({ ...prod, ALLOW_INSECURE_CALLBACKS: '1' }), { message: /ALLOW_INSECURE_CALLBACKS/ });
  t.notThrows(() => loadConfig({ ...prod, ISSUER: 'http://localhost:3000' }));
});
