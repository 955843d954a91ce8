// A person in Chromium adds an app to a group; the app, holding only what that click granted, posts there.
import test from 'ava';
import { screenshot } from '../helpers/chromium.ts';
import { signInOnPage, withBrowserPlaza } from '../helpers/browser_plaza.ts';
import { api, redeemTicket, seedSocial } from '../helpers/social.ts';
import { ALICE } from '../helpers/fixtures.ts';

test('"Add app to this group", then the app\'s message appears on the group page, via the app', async (t) => {
  const { plaza, browser, receiver } = await withBrowserPlaza(t);
  const { poster } = await seedSocial(plaza, receiver);

  const page = await browser.newPage();
  await page.goto(`${plaza.url}/groups/hiking`);
  await signInOnPage(page, ALICE);
  await page.getByRole('heading', { name: 'Weekend Hiking' }).waitFor();
  t.is(new URL(page.url()).pathname, '/groups/hiking', 'back on the group page after signing in');

  const hook = receiver.next();
  await page.getByLabel('Search apps').fill('poster');
  await page.getByRole('button', { name: 'Search' }).click();
  await screenshot(page, '10-group-add-app');
  await page.getByRole('link', { name: 'Choose Poster App' }).click();
  await page.getByRole('heading', { name: 'Add Poster App to Weekend Hiking?' }).waitFor();
  t.true(await page.getByRole('checkbox', { name: 'Post messages in Weekend Hiking as you' }).isChecked());
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.getByText('Poster App was added to Weekend Hiking. It may now: Post messages in Weekend Hiking as you.').waitFor();

  // The app's side: receive the ticket, exchange it, post as alice.
  const ticket = JSON.parse((await hook).body).data.ticket;
  const tokens = await redeemTicket(plaza, poster, ticket);
  t.is(tokens.status, 200);
  const posted = await api(plaza, 'POST', '/groups/hiking/messages', tokens.body.access_token, { text: 'Trail photos are up!' });
  t.is(posted.status, 201);

  await page.reload();
  const message = page.locator('ul.messages li', { hasText: 'Trail photos are up!' });
  await message.waitFor();
  t.regex(await message.innerText(), /Alice Example\s+via Poster App/);
  await screenshot(page, '11-group-message-via-app');

  await page.goto(`${plaza.url}/account/apps`);
  await page.getByText('Post messages in Weekend Hiking as you').waitFor();
  await screenshot(page, '12-my-apps-action-grant');
  await page.goto(`${plaza.url}/account/activity`);
  await page.getByText('Poster App posted “Trail photos are up!” in Weekend Hiking as you').waitFor();
  await screenshot(page, '13-activity');
  t.deepEqual(plaza.serverErrors, []);
});
