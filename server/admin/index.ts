// The operator's capability: the CLI's operations, and the same operations as a JSON API under /admin/api.
import type { Capability } from '../oidc/index.ts';
import { adminApi, type AdminApiDeps } from './api.ts';
import { adminApiDescription } from './openapi.ts';
import { AdminOperations, type AdminDeps } from './operations.ts';

export { AdminOperations, type SeedFile, type SeedSummary, type GroupView } from './operations.ts';

export interface AdminCapability extends Capability {
  operations: AdminOperations;
}

export interface AdminCapabilityDeps extends Omit<AdminDeps, 'oidc'>, Pick<AdminApiDeps, 'config' | 'report'> {
  oidc: AdminDeps['oidc'] & AdminApiDeps['oidc'];
}

export function createAdmin(deps: AdminCapabilityDeps): AdminCapability {
  const operations = new AdminOperations(deps);
  return {
    operations,
    separateApi: adminApi({ config: deps.config, oidc: deps.oidc, admin: operations, report: deps.report }),
    openapi: adminApiDescription(deps.oidc.clients.input),
  };
}
