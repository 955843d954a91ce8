// Devices by name: browser, system and model from the User-Agent, in the reader's language; the raw string only when
// nothing in it can be named.
import test from 'ava';
import { translator } from '../../server/http/index.ts';
import { deviceName } from '../../server/terminals/device_names.ts';

const PIXEL = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

test('a phone\'s browser, system and model, in English and Chinese', (t) => {
  const en = deviceName(PIXEL, translator('en'));
  t.is(en.label, 'Chrome 126 on Android 14');
  t.is(en.unrecognised, undefined);
  const zh = deviceName(IPHONE, translator('zh-CN'));
  t.is(zh.label, 'iOS 17 上的 Safari 17');
  t.is(zh.model, 'Apple iPhone');
});

test('an unrecognisable User-Agent is said so, with the string kept for support', (t) => {
  const name = deviceName('undici', translator('en'));
  t.is(name.label, 'Unrecognised device');
  t.is(name.unrecognised, 'undici');
});
