// The group pages over HTTP: CSRF on every form, members only, and posting as oneself.
import test from 'ava';
import { startServer } from '../helpers/harness.ts';
import { WebhookReceiver } from '../helpers/webhook_receiver.ts';
import { seedSocial } from '../helpers/social.ts';
import { codeFor, BOB } from '../helpers/fixtures.ts';
import { Browser, csrfOf } from '../helpers/oauth.ts';

test('group pages: members only, CSRF on every form, posts are the user\'s own', async (t) => {
  const receiver = await new WebhookReceiver().start();
  const server = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1' } });
  t.teardown(async () => { await server.stop(); await receiver.stop(); });
  await seedSocial(server, receiver);
  const alice = new Browser();
  await codeFor(server, undefined, {}, { browser: alice });

  const anonymous = await new Browser().fetch(`${server.url}/groups/hiking`);
  t.is(anonymous.status, 302);
  t.regex(anonymous.headers.get('location')!, /client_id=plaza-account.*state=%2Fgroups%2Fhiking/);

  const page = await (await alice.fetch(`${server.url}/groups/hiking`)).text();
  t.regex(page, /<h1>Weekend Hiking<\/h1>/);
  for (const path of ['/groups/hiking/messages', '/groups/hiking/apps', '/groups/hiking/apps/poster/remove', '/groups/hiking/leave']) {
    const res = await alice.postForm(`${server.url}${path}`, { text: 'x', client_id: 'poster', actions: 'messages:post' });
    t.is(res.status, 403, path);
  }
  const posted = await alice.postForm(`${server.url}/groups/hiking/messages`, { _csrf: csrfOf(page), text: '<b>hi</b> from the page' });
  t.is(posted.status, 303);
  const after = await (await alice.fetch(`${server.url}/groups/hiking`)).text();
  t.true(after.includes('&lt;b&gt;hi&lt;/b&gt; from the page'));
  t.false(after.includes('<b>hi</b>'));

  const bob = new Browser();
  await codeFor(server, undefined, {}, { browser: bob, ...BOB });
  const chess = await bob.fetch(`${server.url}/groups/chess`);
  t.is(chess.status, 403);
  t.regex(await chess.text(), /not a member of this group/);
  const nowhere = await bob.fetch(`${server.url}/groups/nope`);
  t.is(nowhere.status, 404);
  const badApp = await alice.postForm(`${server.url}/groups/hiking/apps`, { _csrf: csrfOf(page), client_id: 'nobody', actions: 'messages:post' });
  t.is(badApp.status, 400);
  t.deepEqual(server.serverErrors, []);
});
