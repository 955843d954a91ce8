// Maps errors to what each kind of client expects: RFC 9457 problem documents for JSON APIs,
// an error page for browsers. Unknown errors become a bare 500 without details.
import { STATUS_CODES } from 'node:http';
import type { Context, Middleware } from 'koa';
import { StoreUnavailableError } from '../store/index.ts';
import { errorView } from './error_view.ts';
import type { Views } from './views.ts';

export interface ClientError {
  status: number;
  message: string;
  /** A machine-readable code; the OAuth error for oidc-provider errors. */
  code?: string;
  headers?: Record<string, string>;
}

/** The machine-readable reasons Plaza's own errors give: `code` in a problem document, the error on an error page. */
export type ErrorCode =
  | 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce'
  | 'forbidden' | 'form_expired' | 'invalid_actions' | 'invalid_client_id' | 'invalid_client_metadata' | 'invalid_grant' | 'unknown_api' | 'user_mismatch'
  | 'invalid_username' | 'invalid_password' | 'invalid_name' | 'trigger_conflict';

/**
 * Every error Plaza shows a client, as is: its status, its reason when it has one, and headers (a challenge, `Allow`).
 * Kinds of error differ by status and code, not by subclass, as `jose`'s errors differ by `code`.
 */
export class HttpError extends Error implements ClientError {
  override name = 'HttpError';
  readonly status: number;
  readonly code?: ErrorCode;
  readonly expose = true;
  readonly headers?: Record<string, string>;
  constructor(status: number, message: string, options: { code?: ErrorCode; headers?: Record<string, string> } = {}) {
    super(message);
    this.status = status;
    this.code = options.code;
    this.headers = options.headers;
  }
}

/** Bad input from a client: a 400 with the message shown as is. */
export class InputError extends HttpError {
  override name = 'InputError';
  constructor(message: string, code?: ErrorCode) {
    super(400, message, { code });
  }
}

export function clientErrorOf(err: unknown): ClientError | undefined {
  if (err instanceof HttpError) return err;
  // The one server condition a client can act on: try again later.
  if (err instanceof StoreUnavailableError) return { status: 503, message: err.message };
  if (!(err instanceof Error)) return undefined;
  // Errors of oidc-provider and of Koa's middleware: their own status and `expose`; oidc-provider's carry the
  // OAuth code in `error` and the text in `error_description`.
  const e = err as Error & { status?: number; statusCode?: number; expose?: boolean; error?: string; code?: string; error_description?: string; headers?: Record<string, string> };
  const status = e.status ?? e.statusCode;
  if (typeof status !== 'number' || status < 400 || (status >= 500 && status !== 503) || e.expose !== true && status >= 500 || e.expose === false) return undefined;
  return { status, message: e.error_description ?? e.message, code: e.error ?? (typeof e.code === 'string' ? e.code : undefined), headers: e.headers };
}

/** Where unexpected errors go, with the request they happened in when there was one. */
export type Report = (err: unknown, ctx?: Context) => void;

/** The client went away mid-request: nothing to answer and nothing wrong with the server. */
function clientGone(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'ECONNRESET' || e?.message === 'aborted';
}

/** Catches what the rest of the chain throws; unknown errors are reported and answered as a bare 500. */
function answerErrors(report: Report, answer: (ctx: Context, known: ClientError | undefined) => void): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (clientGone(err)) return;
      const known = clientErrorOf(err);
      if (!known) report(err, ctx);
      for (const [name, value] of Object.entries(known?.headers ?? {})) ctx.set(name, value);
      answer(ctx, known);
    }
  };
}

export function problemJson(report: Report): Middleware {
  return answerErrors(report, (ctx, known) => {
    const status = known?.status ?? 500;
    ctx.status = status;
    ctx.type = 'application/problem+json';
    ctx.body = {
      type: 'about:blank',
      title: STATUS_CODES[status] ?? 'Error',
      status,
      ...(known ? { detail: known.message } : {}),
      ...(known?.code ? { code: known.code } : {}),
    };
  });
}

export function errorPage(views: Views, report: Report): Middleware {
  return answerErrors(report, (ctx, known) => {
    const status = known?.status ?? 500;
    views.page(ctx, 'error', errorView(ctx, { status, code: known?.code ?? (known ? undefined : 'server_error'), message: known?.message }), status);
  });
}
