// Model-based property test of action grants' promise: after any sequence of user and app operations (add, remove, leave,
// rejoin, redeem, refresh, revoke on My apps), every token an app holds works exactly when a live user action
// covers it: the user is a member, added the app there (since the token's ticket) with at least its actions,
// and took nothing back since. One real Plaza over HTTP; fresh groups per run; runs and steps are bounded.
import anyTest, { type TestFn } from 'ava';
import fc from 'fast-check';
import { decodeJwt } from 'jose';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { Browser, csrfOf, tokenRequest } from '../helpers/oauth.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { api, posterApp, redeemTicket, userApiToken, type App } from '../helpers/social.ts';
import { codeFor, seedBasics, ADMIN_TOOL, ALICE, BOB, WEB } from '../helpers/fixtures.ts';

const ACTIONS = ['messages:post', 'messages:read'];
const RUNS = { numRuns: 30, interruptAfterTimeLimit: 60_000, includeErrorInReport: true };

interface User { username: string; sub: string; token: string; browser: Browser }
interface Real { server: TestServer; admin: string; users: User[]; apps: { app: App; receiver: WebhookReceiver }[] }

/** What the user last chose for an app in a group, and since when the app has been there without a break. */
interface Added { actions: string[]; since: number }
interface Ticket { value: string; user: number; group: number; app: number; actions: string[]; mintedAt: number; used: boolean; forgotten: boolean; grant?: Grant }
interface Grant { id: string; user: number; group: number; app: number; actions: string[]; mintedAt: number; revoked: boolean; accessTokens: string[]; refreshToken?: string }
interface Model {
  groups: string[];
  clock: number;
  members: boolean[][];
  added: Map<string, Added>;
  tickets: Ticket[];
  grants: Grant[];
}

const test = anyTest as TestFn<Real>;

test.before(async (t) => {
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', TOKEN_RATE_LIMIT: '100000' } });
  await seedBasics(server);
  const apps = [];
  for (const id of ['app-a', 'app-b']) {
    const receiver = await new WebhookReceiver().start();
    apps.push({ app: posterApp(receiver, id), receiver });
  }
  await server.plaza.admin.seed({ clients: apps.map((a) => a.app) });
  const users = [];
  for (const user of [ALICE, BOB]) {
    const browser = new Browser();
    await codeFor(server, WEB, {}, { browser, ...user });
    const token = await userApiToken(server, user);
    users.push({ username: user.username, sub: (await api(server, 'GET', '/me', token)).body.sub, token, browser });
  }
  const admin = (await tokenRequest(server, { grant_type: 'client_credentials', client_id: ADMIN_TOOL.client_id, client_secret: ADMIN_TOOL.client_secret, scope: 'admin' })).body.access_token;
  t.context = { server, admin, users, apps };
});
test.after.always(async (t) => {
  await t.context.server.stop();
  for (const { receiver } of t.context.apps) await receiver.stop();
});

const key = (group: number, user: number, app: number) => `${group}:${user}:${app}`;

/** Whether a live user action covers what was granted at `mintedAt` with `actions`. */
function covered(m: Model, x: { user: number; group: number; app: number; actions: string[]; mintedAt: number }): boolean {
  const added = m.added.get(key(x.group, x.user, x.app));
  return m.members[x.group][x.user] && added !== undefined && added.since <= x.mintedAt && x.actions.every((a) => added.actions.includes(a));
}

const grantLive = (m: Model, g: Grant) => !g.revoked && covered(m, g);

function expect(ok: boolean, what: string, res: { status: number; body?: unknown }): void {
  if (!ok) throw new Error(`${what}: answered ${res.status} ${JSON.stringify(res.body)}`);
}

/** The user takes the app back in the group: its tickets there are void, its grants there revoked. */
function takeBack(m: Model, group: number, user: number, app: number): void {
  m.added.delete(key(group, user, app));
  for (const ticket of m.tickets) if (ticket.group === group && ticket.user === user && ticket.app === app) ticket.forgotten = true;
  for (const grant of m.grants) if (grant.group === group && grant.user === user && grant.app === app) grant.revoked = true;
}

/** Every token of every app works exactly when the model says it is covered. */
async function checkTokens(m: Model, r: Real): Promise<void> {
  for (const grant of m.grants) {
    const live = grantLive(m, grant);
    const path = `/groups/${m.groups[grant.group]}/messages`;
    for (const token of grant.accessTokens) {
      const res = grant.actions.includes('messages:read') ? await api(r.server, 'GET', path, token) : await api(r.server, 'POST', path, token, { text: 'check' });
      expect((res.status < 300) === live, `access token of grant ${grant.id} (${live ? 'live' : 'dead'} in the model)`, res);
    }
    if (!grant.refreshToken) continue;
    const { app } = r.apps[grant.app];
    const res = await tokenRequest(r.server, { grant_type: 'refresh_token', refresh_token: grant.refreshToken, client_id: app.client_id, client_secret: app.client_secret });
    expect((res.status === 200) === live, `refresh token of grant ${grant.id} (${live ? 'live' : 'dead'} in the model)`, res);
    // Rotation: the old refresh token is spent, the new one is what the app holds.
    if (res.status === 200 && res.body.refresh_token) grant.refreshToken = res.body.refresh_token;
  }
}

type Cmd = fc.AsyncCommand<Model, Real>;

/** One operation; after it, every token is checked against the model. */
function step(label: string, run: (m: Model, r: Real) => Promise<void>, check: (m: Readonly<Model>) => boolean = () => true): Cmd {
  return {
    check,
    async run(m, r) {
      await run(m, r);
      await checkTokens(m, r);
    },
    toString: () => label,
  };
}

/** A member adds the app to the group through the first-party API, and the app receives the ticket. */
const addApp = (user: number, group: number, app: number, actions: string[]) => step(`add(u${user}, g${group}, app${app}, ${actions.join('+')})`, async (m, r) => {
  const member = m.members[group][user];
  const hook = member ? r.apps[app].receiver.next() : undefined;
  const res = await api(r.server, 'POST', `/groups/${m.groups[group]}/apps`, r.users[user].token, { client_id: r.apps[app].app.client_id, actions });
  expect(res.status === (member ? 201 : 403), 'add app', res);
  if (!hook) return;
  const data = JSON.parse((await hook).body).data;
  const seen = await r.server.plaza.oidc.subjects.of(r.apps[app].app.client_id, r.users[user].sub);
  expect(data.user === seen && data.group_id === m.groups[group], 'webhook names the user and group', { status: 0, body: data });
  const now = ++m.clock;
  m.added.set(key(group, user, app), { actions, since: m.added.get(key(group, user, app))?.since ?? now });
  // Adding again with fewer actions takes back what went beyond them.
  const beyond = (x: Ticket | Grant) => x.group === group && x.user === user && x.app === app && !x.actions.every((a) => actions.includes(a));
  for (const ticket of m.tickets.filter(beyond)) ticket.forgotten = true;
  for (const grant of m.grants.filter(beyond)) grant.revoked = true;
  m.tickets.push({ value: data.ticket, user, group, app, actions, mintedAt: now, used: false, forgotten: false });
});

const removeApp = (user: number, group: number, app: number) => step(`remove(u${user}, g${group}, app${app})`, async (m, r) => {
  const res = await api(r.server, 'DELETE', `/groups/${m.groups[group]}/apps/${r.apps[app].app.client_id}`, r.users[user].token);
  if (!m.members[group][user]) return expect(res.status === 403, 'remove app as a non-member', res);
  expect(res.status === 204 || (res.status === 404 && !m.added.has(key(group, user, app))), 'remove app', res);
  takeBack(m, group, user, app);
});

/** The member leaves on the group page, or the operator removes them (admin API). */
const leave = (user: number, group: number, byAdmin: boolean) => step(`${byAdmin ? 'admin-remove' : 'leave'}(u${user}, g${group})`, async (m, r) => {
  const u = r.users[user];
  if (byAdmin) {
    const res = await fetch(`${r.server.url}/admin/api/groups/${m.groups[group]}/members/${u.username}`, { method: 'DELETE', headers: { authorization: `Bearer ${r.admin}` } });
    expect(res.status === 204, 'admin removes member', res);
  } else {
    const page = await (await u.browser.fetch(`${r.server.url}/groups/${m.groups[group]}`)).text();
    const res = await u.browser.postForm(`${r.server.url}/groups/${m.groups[group]}/leave`, { _csrf: csrfOf(page) });
    expect(res.status === 303, 'leave', res);
  }
  m.members[group][user] = false;
  for (let app = 0; app < r.apps.length; app += 1) takeBack(m, group, user, app);
}, (m) => m.members[group][user]);

const rejoin = (user: number, group: number) => step(`rejoin(u${user}, g${group})`, async (m, r) => {
  await upsertGroup(r, m.groups[group], [r.users[user].username]);
  m.members[group][user] = true;
}, (m) => !m.members[group][user]);

/** The app redeems one of the tickets it received: fresh, used, or voided by a take-back. */
const redeem = (app: number, pick: number) => step(`redeem(app${app}, ticket#${pick})`, async (m, r) => {
  const mine = m.tickets.filter((t) => t.app === app);
  const ticket = mine[pick % mine.length];
  const fresh = !ticket.used && !ticket.forgotten && covered(m, ticket);
  const res = await redeemTicket(r.server, r.apps[app].app, ticket.value);
  if (fresh) {
    expect(res.status === 200, 'redeem a fresh ticket', res);
    const id = String(decodeJwt(res.body.access_token).grant_id);
    ticket.grant = { id, user: ticket.user, group: ticket.group, app, actions: ticket.actions, mintedAt: ticket.mintedAt, revoked: false, accessTokens: [res.body.access_token], refreshToken: res.body.refresh_token };
    m.grants.push(ticket.grant);
  } else {
    expect(res.body.error === 'invalid_grant', 'redeem a used or voided ticket', res);
    // A replay revokes what the first redemption issued.
    if (ticket.used && !ticket.forgotten && ticket.grant) ticket.grant.revoked = true;
  }
  ticket.used = true;
}, (m) => m.tickets.some((t) => t.app === app));

/** The app refreshes every refresh token it holds, and keeps the newest access token of each grant too. */
const refresh = (index: number) => step(`refresh(app${index})`, async (m, r) => {
  const { app } = r.apps[index];
  for (const grant of m.grants.filter((g) => g.app === index && g.refreshToken)) {
    const res = await tokenRequest(r.server, { grant_type: 'refresh_token', refresh_token: grant.refreshToken!, client_id: app.client_id, client_secret: app.client_secret });
    expect((res.status === 200) === grantLive(m, grant), `refresh grant ${grant.id}`, res);
    if (res.status !== 200) continue;
    grant.accessTokens = [grant.accessTokens[0], res.body.access_token];
    if (res.body.refresh_token) grant.refreshToken = res.body.refresh_token;
  }
}, (m) => m.grants.some((g) => g.app === index));

/** The user revokes one of the apps' grants on My apps, which lists exactly the grants still standing. */
const revoke = (user: number, pick: number) => step(`revoke(u${user}, grant#${pick})`, async (m, r) => {
  const mine = m.grants.filter((g) => g.user === user);
  const grant = mine[pick % mine.length];
  const { browser } = r.users[user];
  const page = await (await browser.fetch(`${r.server.url}/account/apps`)).text();
  for (const g of mine) {
    expect(page.includes(`/account/apps/${g.id}/revoke`) === !g.revoked, `My apps lists grant ${g.id} (${g.revoked ? 'revoked' : 'standing'} in the model)`, { status: 200 });
  }
  const res = await browser.postForm(`${r.server.url}/account/apps/${grant.id}/revoke`, { _csrf: csrfOf(page) });
  expect(res.status === (grant.revoked ? 404 : 303), 'revoke on My apps', res);
  // Revoking takes the app back in that group, as removing it there would.
  if (!grant.revoked) takeBack(m, grant.group, grant.user, grant.app);
}, (m) => m.grants.some((g) => g.user === user));

async function upsertGroup(r: Real, id: string, members: string[]): Promise<void> {
  const res = await fetch(`${r.server.url}/admin/api/groups`, {
    method: 'POST', headers: { authorization: `Bearer ${r.admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ id, members }),
  });
  expect(res.status === 201, `upsert group ${id}`, res);
}

const index = fc.nat(1);
const actions = fc.subarray(ACTIONS, { minLength: 1 });
const adds = fc.tuple(index, index, index, actions).map(([u, g, a, acts]) => addApp(u, g, a, acts));
const redeems = fc.tuple(index, fc.nat(20)).map(([a, p]) => redeem(a, p));
// Adding and redeeming weigh double: most other steps need something added or redeemed first.
const commands = fc.commands([
  adds, adds, redeems, redeems,
  fc.tuple(index, index, index).map(([u, g, a]) => removeApp(u, g, a)),
  fc.tuple(index, index, fc.boolean()).map(([u, g, admin]) => leave(u, g, admin)),
  fc.tuple(index, index).map(([u, g]) => rejoin(u, g)),
  index.map((a) => refresh(a)),
  fc.tuple(index, fc.nat(20)).map(([u, p]) => revoke(u, p)),
], { maxCommands: 12 });

let runs = 0;

test('every token an app holds is covered by a live user action', async (t) => {
  t.timeout(180_000);
  const real = t.context;
  await fc.assert(fc.asyncProperty(commands, async (cmds) => {
    const setup = async () => {
      runs += 1;
      const groups = [`model-${runs}-a`, `model-${runs}-b`];
      for (const id of groups) await upsertGroup(real, id, real.users.map((u) => u.username));
      const model: Model = { groups, clock: 0, members: groups.map(() => real.users.map(() => true)), added: new Map(), tickets: [], grants: [] };
      return { model, real };
    };
    await fc.asyncModelRun(setup, cmds);
  }), RUNS);
  t.deepEqual(real.server.serverErrors, [], 'no unhandled server errors');
});
