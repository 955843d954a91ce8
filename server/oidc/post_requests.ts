// OIDC Core 3.1.2.1 and RP-Initiated Logout 1.0 §2: the authorization and logout endpoints accept POST. oidc-provider
// does so only with a SameSite=None session cookie; answering with a 303 to the same request as a GET keeps the
// session cookie SameSite=Lax, which the browser still sends on that top-level GET.
import Router from '@koa/router';
import { errors } from 'oidc-provider';
import { formBody, formField, seeOther } from '../http/index.ts';

export function postRequestRoutes(paths: string[]): Router {
  const router = new Router();
  for (const path of paths) {
    router.post(path, formBody(), (ctx) => {
      if (!ctx.is('application/x-www-form-urlencoded')) throw new errors.InvalidRequest('a POST request must be sent as application/x-www-form-urlencoded');
      const query = new URLSearchParams();
      // Repeated parameters stay repeated, so that oidc-provider refuses them as it would in a GET.
      for (const name of Object.keys(ctx.request.body as object)) {
        for (const value of [formField(ctx, name)].flat()) query.append(name, String(value));
      }
      seeOther(ctx, `${path}?${query}`);
    });
  }
  return router;
}
