// Assembles the HTTP application: oidc-provider is itself a Koa app, and Plaza's middleware is composed in front
// of its routes, here and nowhere else.
import { bodyParser } from '@koa/bodyparser';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import compose from 'koa-compose';
import type Provider from 'oidc-provider';
import { errorPage, type Report } from './errors.ts';
import { securityHeaders } from './security_headers.ts';
import { notFoundPage } from './site.ts';
import { trustProxy, type TrustProxy } from './trusted_proxy.ts';
import type { Views } from './views.ts';

export { Views, seeOther, type Viewer } from './views.ts';
export { notFoundPage, siteRoutes, staticFiles } from './site.ts';
export { errorView, type ErrorFacts } from './error_view.ts';
export {
  DEFAULT_LOCALE, formatDate, isMessageKey, formatList, fromUiLocales, LANGUAGE_COOKIE, LOCALES, localeOf, matchLocale, tr, translator,
  type Locale, type LocaleState, type MessageKey, type Translate,
} from './i18n.ts';
export { jsonApi, jsonBody } from './json_api.ts';
export { validator } from './validate.ts';
export { IncompleteBody, peekBody, textBody } from './peek_body.ts';
export {
  checkTarget, checkUrl, requestChecked, MAX_RESPONSE_BYTES, OutboundRefused, OutboundTimeout, type OutboundOptions, type OutboundResponse,
} from './outbound.ts';
export { createLogger, createMetrics, metricsEndpoint, requestLog, type Metrics } from './observability.ts';
export { health, type Pingable } from './health.ts';
export { serve, type ServeOptions, type Serving } from './server.ts';
export { parseTrustProxy, type TrustProxy } from './trusted_proxy.ts';
export { csrfToken, verifyCsrf } from './csrf.ts';
export { clientErrorOf, HttpError, InputError, problemJson, type ErrorCode, type Report } from './errors.ts';
export {
  json, jsonRequest, locationHeader, openApiDocument, openApiRoutes, problem, schemaRef, shared, type ApiDescription, type JsonSchema,
} from './openapi.ts';

/** Form bodies for Plaza's own pages only: oidc-provider parses the bodies of its endpoints itself. */
export function formBody(): Middleware {
  return bodyParser({ enableTypes: ['form'], formLimit: '64kb', encoding: 'utf-8' });
}

/** A field of a parsed form body, as sent (a string, a list for repeated fields, or undefined). */
export function formField(ctx: { request: { body?: unknown } }, name: string): unknown {
  return (ctx.request.body as Record<string, unknown> | undefined)?.[name];
}

/** A form field that must be text; anything else reads as empty. */
export function formText(ctx: { request: { body?: unknown } }, name: string): string {
  const value = formField(ctx, name);
  return typeof value === 'string' ? value : '';
}

export interface AppParts {
  views: Views;
  report: Report;
  hsts: boolean;
  trustProxy: TrustProxy;
  health: Middleware;
  /** Logs and measures every request; first, so that it sees every answer. */
  requestLog: Middleware;
  /** Limits that refuse a request before any work is done on it. */
  limits: Middleware[];
  /** Stylesheets and scripts. */
  assets: Middleware;
  /** JSON APIs, each answering errors as problem documents. */
  apis: Middleware[];
  /** Browser pages, whose errors are shown as an error page. */
  pages: Router[];
  /** Middleware that watch what oidc-provider's own endpoints did (after they answered). */
  observers: Middleware[];
}

export function assembleApp(provider: Provider, parts: AppParts): Provider {
  trustProxy(provider, parts.trustProxy);
  provider.use(parts.requestLog);
  provider.use(securityHeaders({ hsts: parts.hsts }));
  provider.use(parts.health);
  for (const limit of parts.limits) provider.use(limit);
  provider.use(parts.assets);
  for (const observer of parts.observers) provider.use(observer);
  for (const api of parts.apis) provider.use(api);
  provider.use(errorPage(parts.views, parts.report));
  provider.use(notFoundPage(parts.views));
  provider.use(pagesBesideEndpoints(provider, parts.pages));
  return provider;
}

/** oidc-provider's endpoints that machines call, whose routes come after Plaza's pages. */
const MACHINE_ENDPOINTS = ['token', 'introspection', 'revocation', 'jwks', 'userinfo', 'pushed_authorization_request', 'registration', 'device_authorization', 'backchannel_authentication'];

/**
 * The page routers, not asked about a request for one of oidc-provider's machine endpoints where no page is:
 * matching a path against every page route costs some microseconds on each token request.
 */
export function pagesBesideEndpoints(provider: Provider, routers: Router[]): Middleware {
  const pages = compose(routers.map((router) => router.routes()) as never[]) as Middleware;
  const routedHere = (path: string) => routers.some((router) => ['GET', 'POST'].some((method) => router.match(path, method).route));
  const endpoints = new Set(MACHINE_ENDPOINTS.flatMap((name) => {
    try {
      return [new URL(provider.pathFor(name), provider.issuer).pathname];
    } catch {
      return []; // an endpoint whose feature is off has no route
    }
  }).filter((path) => !routedHere(path)));
  return (ctx, next) => (endpoints.has(ctx.path) ? next() : pages(ctx, next));
}
