// A device by name, from the User-Agent its sign-in came with: "Chrome 126 on Android 14 · Samsung SM-S918B".
// Parsed by bowser (MIT, widely used and kept up to date); what it cannot name is "Unrecognised device".
import Bowser from 'bowser';
import type { Translate } from '../http/index.ts';

export interface DeviceName {
  /** The browser or app and the system, in words. */
  label: string;
  /** The maker and model, when the User-Agent says. */
  model?: string;
  /** The User-Agent as sent, for support, only when nothing could be named from it. */
  unrecognised?: string;
}

const major = (version: string | undefined) => version?.split('.')[0] ?? '';

export function deviceName(userAgent: string, t: Translate): DeviceName {
  const parsed = userAgent ? Bowser.parse(userAgent) : undefined;
  const browser = parsed?.browser.name ? `${parsed.browser.name} ${major(parsed.browser.version)}`.trim() : '';
  const os = parsed?.os.name ? `${parsed.os.name} ${parsed.os.versionName ?? major(parsed.os.version)}`.trim() : '';
  const platform = parsed?.platform;
  const model = platform?.vendor || platform?.model ? t('devices.model', { vendor: platform?.vendor ?? '', model: platform?.model ?? '' }).trim() : undefined;
  if (browser && os) return { label: t('devices.on', { browser, os }), model };
  if (browser || os) return { label: browser || os, model };
  return { label: t('devices.unknown'), model, unrecognised: userAgent.slice(0, 200) };
}
