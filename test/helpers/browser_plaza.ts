// What every Chromium test stands on: a real Plaza, a webhook receiver on loopback for its apps' callbacks, and
// Debian's Chromium, all stopped when the test ends; and a person signing in on Plaza's own sign-in page.
import type { Browser, Page } from 'playwright-core';
import { startServer, type TestServer } from './harness.ts';
import { launchChromium } from './chromium.ts';
import { WebhookReceiver } from './webhook_receiver.ts';

export interface BrowserPlaza {
  plaza: TestServer;
  browser: Browser;
  /** Where the test's apps get their webhooks (register its `url` as their callback). */
  receiver: WebhookReceiver;
  stop(): Promise<void>;
}

/** Starts the three, Plaza with `env` and callbacks to loopback allowed; for tests that share them (`before`/`after`). */
export async function startBrowserPlaza(env: Record<string, string> = {}): Promise<BrowserPlaza> {
  const receiver = await new WebhookReceiver().start();
  const plaza = await startServer({ env: { ALLOW_INSECURE_CALLBACKS: '1', ...env } });
  const browser = await launchChromium();
  const stop = async () => {
    await browser.close();
    await plaza.stop();
    await receiver.stop();
  };
  return { plaza, browser, receiver, stop };
}

/** The three for one test, stopped by its teardown. */
export async function withBrowserPlaza(t: { teardown(fn: () => Promise<void>): void }, env: Record<string, string> = {}): Promise<BrowserPlaza> {
  const started = await startBrowserPlaza(env);
  t.teardown(started.stop);
  return started;
}

/** On the sign-in page the page was sent to: the user's name and password, then "Sign in". */
export async function signInOnPage(page: Page, user: { username: string; password: string }): Promise<void> {
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
