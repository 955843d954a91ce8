// CSRF protection for every form: a per-browser secret in a signed, http-only cookie, and in each form a token
// derived from it (the `csrf` package's synchronizer tokens). The cookie is only set when a form is rendered.
import Tokens from 'csrf';
import type { Context } from 'koa';
import { HttpError } from './errors.ts';

const COOKIE = 'plaza.csrf';
const tokens = new Tokens();


export function csrfToken(ctx: Context): string {
  let secret = ctx.cookies.get(COOKIE, { signed: true });
  if (!secret) {
    secret = tokens.secretSync();
    ctx.cookies.set(COOKIE, secret, { httpOnly: true, sameSite: 'lax', signed: true, secure: ctx.secure, overwrite: true });
  }
  return tokens.create(secret);
}

export function verifyCsrf(ctx: Context): void {
  const secret = ctx.cookies.get(COOKIE, { signed: true });
  const token = (ctx.request.body as Record<string, unknown> | undefined)?._csrf;
  if (!secret || typeof token !== 'string' || !tokens.verify(secret, token)) {
    throw new HttpError(403, 'The form has expired or was not sent from this site. Go back, reload the page and try again.', { code: 'form_expired' });
  }
}
