// What My apps says of an app from its terminals: the devices holding its tokens, by name, and when the user last
// opened a page it handed them over to (the H5 page's key lives for one visit, under the handing app's grant).
import type { Translate } from '../http/index.ts';
import type { AppDescriber, AppFacts } from '../oidc/index.ts';
import { deviceName } from './device_names.ts';
import type { Terminals } from './terminals.ts';

export function terminalFacts(terminals: Terminals, pageClients: ReadonlySet<string>): AppDescriber {
  return async (sub, grantsByApp, t: Translate) => {
    const appOfGrant = new Map([...grantsByApp].flatMap(([clientId, grantIds]) => grantIds.map((id) => [id, clientId] as const)));
    const facts = new Map<string, AppFacts>();
    const of = (clientId: string) => facts.get(clientId) ?? facts.set(clientId, { devices: [] }).get(clientId)!;
    for (const terminal of await terminals.listFor(sub)) {
      if (pageClients.has(terminal.clientId)) {
        const handedBy = terminal.grantIds.map((id) => appOfGrant.get(id)).find((clientId) => clientId !== undefined);
        if (handedBy) of(handedBy).pageVisited = Math.max(of(handedBy).pageVisited ?? 0, terminal.lastUsed);
      } else if (grantsByApp.has(terminal.clientId)) {
        const name = deviceName(terminal.userAgent, t);
        of(terminal.clientId).devices!.push({ name: [name.label, name.model].filter(Boolean).join(' · '), lastUsed: terminal.lastUsed });
      }
    }
    return facts;
  };
}
