// The demo bot capability: in development only, a bot served by Plaza itself that acts when added to a group.
import type { Capability } from '../oidc/index.ts';
import type { Report } from '../http/index.ts';
import { demoBotRoutes, registrationIn } from './demo_bot.ts';

export function createDemoBot(deps: { issuer: string; seedFile: string; report: Report }): Capability {
  return { pages: [demoBotRoutes({ issuer: deps.issuer, registration: registrationIn(deps.seedFile), report: deps.report })] };
}
