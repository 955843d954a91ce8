// The languages of Plaza's pages: message catalogues per locale, the choice of locale for a request
// (`ui_locales`, then the user's setting, then `Accept-Language`), and dates formatted with `Intl`.
import type { Context } from 'koa';
import { en, type MessageKey } from './locales/en.ts';
import { zhCN } from './locales/zh-CN.ts';

export type { MessageKey } from './locales/en.ts';

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

const CATALOGUES: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };

/** Where a page learns the user's own choice: their account's setting, or the language switch's cookie. */
export const LANGUAGE_COOKIE = 'plaza.lang';

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/** The supported locale a BCP 47 tag asks for: any Chinese tag reads as Simplified Chinese, any English tag as English. */
export function matchLocale(tag: unknown): Locale | undefined {
  if (typeof tag !== 'string') return undefined;
  const lower = tag.trim().toLowerCase();
  if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
  if (lower === 'en' || lower.startsWith('en-')) return 'en';
  return undefined;
}

/** The first supported tag of a space-separated `ui_locales` list (OpenID Connect Core §3.1.2.1). */
export function fromUiLocales(value: unknown): Locale | undefined {
  if (typeof value !== 'string') return undefined;
  for (const tag of value.split(' ')) {
    const locale = matchLocale(tag);
    if (locale) return locale;
  }
  return undefined;
}

export interface LocaleState {
  /** The `ui_locales` of the authorization request this page belongs to. */
  uiLocales?: string;
  /** The signed-in user's saved language. */
  userLocale?: string;
}

export function localeOf(ctx: Context): Locale {
  const state = ctx.state as LocaleState;
  return fromUiLocales(state.uiLocales)
    ?? matchLocale(state.userLocale)
    ?? matchLocale(ctx.cookies.get(LANGUAGE_COOKIE))
    ?? matchLocale(ctx.acceptsLanguages([...LOCALES, 'zh', 'zh-Hans', 'zh-TW', 'zh-HK']) || undefined)
    ?? DEFAULT_LOCALE;
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

export function translator(locale: Locale): Translate {
  const catalogue = CATALOGUES[locale];
  return (key, params) => {
    const text = catalogue[key] ?? en[key] ?? key;
    return params ? text.replace(/\{(\w+)\}/g, (all, name: string) => (name in params ? String(params[name]) : all)) : text;
  };
}

/** The translator for the language this request is answered in. */
export function tr(ctx: Context): Translate {
  return translator(localeOf(ctx));
}

/** Dates in the reader's language, in UTC unless the page knows better (Plaza does not know the user's zone). */
export function formatDate(locale: Locale, at: number | Date, withTime = true): string {
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium', ...(withTime ? { timeStyle: 'short' } : {}), timeZone: 'UTC',
  }).format(at);
}

/** A list of words joined as the language joins them ("a, b and c"; "a、b和c"). */
export function formatList(locale: Locale, items: string[]): string {
  return new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }).format(items);
}
