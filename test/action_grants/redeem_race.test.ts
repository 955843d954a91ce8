// A redemption in flight while the user takes the app back: the removal's grant scan runs between the
// redemption creating its grant and recording it. Played in that order by holding the store call.
// Serial: one gate, one receiver.
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { startServer, type TestServer } from '../helpers/harness.ts';
import { Browser, csrfOf, tokenRequest } from '../helpers/oauth.ts';
import { StoreGate } from '../helpers/store_gate.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { api, redeemTicket, seedSocial, userApiToken, type App } from '../helpers/social.ts';
import { codeFor, BOB, WEB } from '../helpers/fixtures.ts';

type Context = { server: TestServer; gate: StoreGate; receiver: WebhookReceiver; poster: App; bob: string; browser: Browser };
const test = anyTest as TestFn<Context>;

test.before(async (t) => {
  const gate = new StoreGate();
  const receiver = await new WebhookReceiver().start();
  const server = await startServer({ wrapStore: (store) => gate.wrap(store), env: { ALLOW_INSECURE_CALLBACKS: '1' } });
  const { poster } = await seedSocial(server, receiver);
  const browser = new Browser();
  await codeFor(server, WEB, {}, { browser, ...BOB });
  t.context = { server, gate, receiver, poster, bob: await userApiToken(server, BOB), browser };
});
test.after.always(async (t) => {
  await t.context.server.stop();
  await t.context.receiver.stop();
});
test.afterEach((t) => { t.deepEqual(t.context.server.serverErrors, [], 'no unhandled server errors'); });

const rejoin = (server: TestServer) => server.plaza.admin.upsertGroup({ id: 'hiking', name: 'Weekend Hiking', members: [BOB.username] });

/** bob adds the app to hiking; its redemption is held just before it records its grant while `takeBack` runs. */
async function redeemWhile(t: ExecutionContext<Context>, takeBack: () => Promise<void>) {
  const { server, gate, receiver, poster, bob } = t.context;
  await rejoin(server);
  const hook = receiver.next();
  const added = await api(server, 'POST', '/groups/hiking/apps', bob, { client_id: poster.client_id, actions: ['messages:post'] });
  if (added.status !== 201) throw new Error(`add app: ${added.status}`);
  const ticket = JSON.parse((await hook).body).data.ticket as string;
  const held = gate.hold('action_grants', 'put');
  const redemption = redeemTicket(server, poster, ticket);
  await held.reached;
  await takeBack();
  held.release();
  return redemption;
}

async function expectNothingSurvives(t: ExecutionContext<Context>, res: Awaited<ReturnType<typeof redeemTicket>>) {
  const { server, poster, browser } = t.context;
  t.is(res.body.error, 'invalid_grant', JSON.stringify(res.body));
  await rejoin(server);
  if (res.body.access_token) t.is((await api(server, 'POST', '/groups/hiking/messages', res.body.access_token, { text: 'survived' })).status, 401);
  if (res.body.refresh_token) {
    const refresh = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: res.body.refresh_token, client_id: poster.client_id, client_secret: poster.client_secret });
    t.is(refresh.body.error, 'invalid_grant');
  }
  t.notRegex(await (await browser.fetch(`${server.url}/account/apps`)).text(), /Poster App/, 'no access of the app is left on My apps');
}

test.serial('leaving the group while the app redeems its ticket leaves the app nothing', async (t) => {
  const { server, browser } = t.context;
  const res = await redeemWhile(t, async () => {
    const page = await (await browser.fetch(`${server.url}/groups/hiking`)).text();
    t.is((await browser.postForm(`${server.url}/groups/hiking/leave`, { _csrf: csrfOf(page) })).status, 303);
  });
  await expectNothingSurvives(t, res);
});

test.serial('removing the app while it redeems its ticket leaves it nothing', async (t) => {
  const { server, bob } = t.context;
  const res = await redeemWhile(t, async () => {
    t.is((await api(server, 'DELETE', '/groups/hiking/apps/poster', bob)).status, 204);
  });
  await expectNothingSurvives(t, res);
});
