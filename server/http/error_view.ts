// What an error page says: what happened in words, in the reader's language, the ways back (to the app, to My apps,
// to sign in), and the technical code kept small for support. One description for Plaza's errors and oidc-provider's.
import { STATUS_CODES } from 'node:http';
import type { Context } from 'koa';
import { tr, type MessageKey } from './i18n.ts';

export interface ErrorFacts {
  status: number;
  /** The machine-readable code: Plaza's `ErrorCode` or the OAuth error. */
  code?: string;
  /** The technical description, shown under "Details for support". */
  message?: string;
  /** The app the user came from, when there is one, and where it lives. */
  app?: { name: string; url?: string };
}

/** OAuth errors that mean the app sent a bad request, not that the user did something wrong. */
const CLIENT_MISTAKES = new Set([
  'invalid_request', 'invalid_client', 'invalid_redirect_uri', 'unauthorized_client', 'invalid_scope', 'unsupported_response_type',
  'invalid_request_object', 'invalid_request_uri', 'unsupported_response_mode', 'invalid_target', 'registration_not_supported',
]);

function whatHappened(facts: ErrorFacts): MessageKey {
  const { status, code, message = '' } = facts;
  if (code === 'form_expired') return 'error.what.form_expired';
  if (code === 'access_denied') return 'error.what.access_denied';
  if (code === 'login_required' || code === 'consent_required' || code === 'interaction_required') return 'error.what.login_required';
  if (/interaction session|session not found/i.test(message)) return 'error.what.interaction';
  if (status === 404) return 'error.what.not_found';
  if (status === 403) return 'error.what.forbidden';
  if (status === 429) return 'error.what.too_many';
  if (status === 503) return 'error.what.unavailable';
  if (status >= 500) return 'error.what.server';
  if (code && CLIENT_MISTAKES.has(code)) return 'error.what.client';
  return 'error.what.bad_request';
}

function titleOf(status: number): MessageKey {
  if (status === 404) return 'error.title.not_found';
  if (status === 403) return 'error.title.forbidden';
  if (status === 429) return 'error.title.too_many';
  if (status === 503) return 'error.title.unavailable';
  return 'error.title';
}

/** Only http(s) addresses are offered as the way back to an app. */
function safeAppUrl(url: string | undefined): string | undefined {
  const parsed = url ? URL.parse(url) : null;
  return parsed && ['https:', 'http:'].includes(parsed.protocol) ? parsed.href : undefined;
}

export function errorView(ctx: Context, facts: ErrorFacts): Record<string, unknown> {
  const t = tr(ctx);
  const what = whatHappened(facts);
  const signInHelps = facts.status === 401 || facts.status === 403 || what === 'error.what.login_required';
  return {
    title: t(titleOf(facts.status)),
    what: t(what),
    app: facts.app ? { name: facts.app.name, url: safeAppUrl(facts.app.url) } : undefined,
    signIn: signInHelps && !(ctx.state as { viewer?: unknown }).viewer,
    error: facts.code ?? STATUS_CODES[facts.status] ?? 'error',
    status: facts.status,
    description: facts.status < 500 ? facts.message ?? '' : '',
  };
}
