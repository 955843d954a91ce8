// The SSRF guard on every outbound callback (and host call: server/http/outbound.ts serves both).
import test from 'ava';
import { parseSchedule, ScheduleError } from '../../server/config/index.ts';
import { checkTarget, OutboundRefused } from '../../server/http/index.ts';

const strict = { allowLoopback: false, timeoutMs: 1000 };
const insecure = { allowLoopback: true, timeoutMs: 1000 };

test('refused: private, loopback, link-local, CGNAT, multicast, mapped, odd spellings, plain http', async (t) => {
  const refused: [string, typeof strict][] = [
    ['https://localhost/cb', strict],
    ['https://127.0.0.1/cb', strict],
    ['https://[::1]/cb', strict],
    ['https://10.1.2.3/cb', strict],
    ['https://192.168.0.10/cb', strict],
    ['https://172.16.5.4/cb', strict],
    ['https://169.254.169.254/latest/meta-data', strict],
    ['https://100.64.0.1/cb', strict],
    ['https://224.0.0.1/cb', strict],
    ['https://0.0.0.0/cb', strict],
    ['https://[fe80::1]/cb', strict],
    ['https://[fc00::1]/cb', strict],
    ['http://[::ffff:7f00:1]/cb', insecure],
    ['http://[::ffff:127.0.0.1]/cb', insecure],
    ['http://0x7f.1/cb', insecure],
    ['http://2130706433/cb', insecure],
    ['http://017700000001/cb', insecure],
    ['http://127.1/cb', insecure],
    ['http://127.0.0.2/cb', insecure],
    ['http://93.184.216.34/cb', insecure],
    ['http://example.com/cb', strict],
    ['https://user:pw@93.184.216.34/cb', strict],
    ['ftp://93.184.216.34/cb', strict],
    ['https://no-such-host.invalid/cb', strict],
    // IPv6 forms that carry an IPv4 address: IPv4-compatible, NAT64, 6to4, Teredo, SIIT, and the rest of ::/8.
    ['https://[::7f00:1]/cb', strict],
    ['http://[::7f00:1]/cb', insecure],
    ['https://[::a9fe:a9fe]/cb', strict],
    ['https://[::a00:1]/cb', strict],
    ['https://[::1:0:0:1]/cb', strict],
    ['https://[64:ff9b::7f00:1]/cb', strict],
    ['https://[64:ff9b::a9fe:a9fe]/cb', strict],
    ['https://[64:ff9b:1::a9fe:a9fe]/cb', strict],
    ['https://[2002:a9fe:a9fe::1]/cb', strict],
    ['https://[2002:5db8:d822::1]/cb', strict],
    ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/cb', strict],
    ['https://[::ffff:0:a9fe:a9fe]/cb', strict],
  ];
  for (const [url, options] of refused) await t.throwsAsync(checkTarget(url, options), { instanceOf: OutboundRefused }, url);
});

test('every address a name resolves to is checked, not only the first', async (t) => {
  const resolvingTo = (...addresses: string[]) => ({ ...strict, resolve: async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })) });
  const refused = [['93.184.216.34', '169.254.169.254'], ['2606:2800:220:1::1', '::7f00:1'], ['93.184.216.34', '64:ff9b::a00:1']];
  for (const addresses of refused) {
    await t.throwsAsync(checkTarget('https://app.example/cb', resolvingTo(...addresses)), { instanceOf: OutboundRefused, message: /refused address/ }, addresses.join());
  }
  t.like(await checkTarget('https://app.example/cb', resolvingTo('93.184.216.34', '2606:2800:220:1::1')), { address: '93.184.216.34' });
  const loopbackOnly = { ...insecure, resolve: resolvingTo('127.0.0.1', '93.184.216.34').resolve };
  await t.throwsAsync(checkTarget('http://app.example/cb', loopbackOnly), { instanceOf: OutboundRefused }, 'http only when every address is loopback');
});

test('allowed: public https addresses, and loopback http in its plain forms only when insecure callbacks are on', async (t) => {
  t.like(await checkTarget('https://93.184.216.34/cb', strict), { address: '93.184.216.34', family: 4 });
  t.like(await checkTarget('https://[2606:2800:220:1:248:1893:25c8:1946]/cb', strict), { family: 6 });
  t.like(await checkTarget('https://[64:ff9b::5db8:d822]/cb', strict), { family: 6 }, 'NAT64 to a public IPv4 address');
  t.like(await checkTarget('http://127.0.0.1:8080/cb', insecure), { address: '127.0.0.1' });
  t.like(await checkTarget('http://[::1]:8080/cb', insecure), { address: '::1' });
  t.true(['127.0.0.1', '::1'].includes((await checkTarget('http://localhost:8080/cb', insecure)).address));
});

test('retry schedules', (t) => {
  t.deepEqual(parseSchedule('0s,5s,5m,30m,2h,5h,10h,10h'), [0, 5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
  t.deepEqual(parseSchedule('0s, 250ms'), [0, 250]);
  for (const bad of ['', '5', '5d', 'x,1s']) t.throws(() => parseSchedule(bad), { instanceOf: ScheduleError }, bad);
});
