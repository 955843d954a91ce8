// The operator's capability: the CLI's operations, and the same operations as a JSON API under /admin/api.
import type { Report } from '../http/index.ts';
import type { Capability } from '../oidc/index.ts';
import { adminApi } from './api.ts';
import { adminApiDescription } from './openapi.ts';
import { AdminOperations, type AdminDeps } from './operations.ts';

export { AdminOperations, type SeedFile, type SeedSummary, type GroupView } from './operations.ts';

export interface AdminCapability extends Capability {
  operations: AdminOperations;
}

export function createAdmin(deps: AdminDeps & { report: Report }): AdminCapability {
  const operations = new AdminOperations(deps);
  return {
    operations,
    separateApi: adminApi({ oidc: deps.oidc, admin: operations, report: deps.report }),
    openapi: adminApiDescription,
  };
}
