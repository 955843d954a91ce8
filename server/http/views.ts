// Server-rendered pages. Eta escapes every `<%= %>` by default; raw output (`<%~ %>`) is only used for layout bodies,
// partials (which escape their own values) and HTML that oidc-provider itself built. Every page gets the request's
// language (`it.t`, `it.locale`, `it.date`) and who is signed in (`it.viewer`) for the layout's navigation and account menu.
import { Eta } from 'eta';
import type { Context } from 'koa';
import { formatDate, formatList, LOCALES, localeOf, translator } from './i18n.ts';

/** Who the layout shows as signed in; pages that know set it in `ctx.state.viewer`. */
export interface Viewer {
  name: string;
}

export interface ViewOptions {
  /** Whether the layout offers "Create account". */
  signupOffered?: boolean;
}

export class Views {
  readonly #eta: Eta;
  readonly #options: ViewOptions;

  constructor(dir: string, cache: boolean, options: ViewOptions = {}) {
    this.#eta = new Eta({ views: dir, cache, autoEscape: true });
    this.#options = options;
  }

  render(name: string, data: Record<string, unknown>): string {
    return this.#eta.render(`./${name}`, data);
  }

  /** Renders a page into the response; pages that carry personal data or forms are never cached. */
  page(ctx: Context, name: string, data: Record<string, unknown>, status = 200): void {
    const locale = localeOf(ctx);
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Language', locale);
    ctx.vary('Accept-Language');
    ctx.body = this.render(name, {
      t: translator(locale),
      locale,
      locales: LOCALES,
      date: (at: number, withTime = true) => formatDate(locale, at, withTime),
      list: (items: string[]) => formatList(locale, items),
      viewer: (ctx.state as { viewer?: Viewer }).viewer,
      here: ctx.path,
      signupOffered: this.#options.signupOffered === true,
      ...data,
    });
  }
}

/** Redirect after a form post, so a reload does not post again. */
export function seeOther(ctx: Context, url: string): void {
  ctx.redirect(url);
  ctx.status = 303;
}
