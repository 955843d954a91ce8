// Server-rendered pages. Eta escapes every `<%= %>` by default; raw output (`<%~ %>`) is only used for layout bodies
// and for HTML that oidc-provider itself built.
import { Eta } from 'eta';
import type { Context } from 'koa';

export class Views {
  readonly #eta: Eta;

  constructor(dir: string, cache: boolean) {
    this.#eta = new Eta({ views: dir, cache, autoEscape: true });
  }

  render(name: string, data: Record<string, unknown>): string {
    return this.#eta.render(`./${name}`, data);
  }

  /** Renders a page into the response; pages that carry personal data or forms are never cached. */
  page(ctx: Context, name: string, data: Record<string, unknown>, status = 200): void {
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = this.render(name, data);
  }
}

/** Redirect after a form post, so a reload does not post again. */
export function seeOther(ctx: Context, url: string): void {
  ctx.redirect(url);
  ctx.status = 303;
}
