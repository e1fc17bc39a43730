/**
 * The update flow of a real app: the consumer app (create-vite vanilla-ts +
 * vite-plugin-pwa `injectManifest`, `registerType: 'prompt'`, Workbox
 * precaching and Ferry in one worker, installed from the packed tarballs),
 * built as version 1 and version 2 by e2e/consumer/consumer.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from '@playwright/test';
import type { FerryClient } from '../../packages/client/src/index.ts';
import { AppServer } from './AppServer.ts';
import { appDir, checkContents, makeApp, pack } from './consumer.ts';

/** What the consumer app puts on `window` (e2e/consumer/app/src/ferry.ts). */
interface AppWindow {
  ferry: FerryClient;
  ferryReady: Promise<unknown>;
  acceptUpdate: () => Promise<void>;
  checkForUpdate: () => Promise<void>;
  lazyText: Promise<string>;
}

const enqueue = (page: Page, n: string): Promise<string> =>
  page.evaluate(
    (n) =>
      (window as unknown as AppWindow).ferry.enqueue({ kind: 'message.send', target: '/api/messages', payload: { n } }),
    n,
  );
const status = (page: Page, id: string): Promise<string | undefined> =>
  page.evaluate(async (id) => (await (window as unknown as AppWindow).ferry.get(id))?.status, id);
const whenDone = (page: Page, id: string): Promise<string> =>
  page.evaluate(async (id) => (await (window as unknown as AppWindow).ferry.whenDone(id)).status, id);
const ready = async (page: Page): Promise<void> => {
  await page.evaluate(() => (window as unknown as AppWindow).ferryReady);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
};

test('update flow: version 2 waits for the prompt, version 1 delivers until the user accepts, nothing is sent twice or lost', async ({
  browser,
}) => {
  test.setTimeout(300_000);
  if (!existsSync(join(appDir, '.ready'))) {
    // Normally made by scripts/test.sh (tsx e2e/consumer/consumer.ts) just before; a few minutes otherwise.
    const tarballs = pack();
    checkContents(tarballs);
    makeApp(tarballs);
  }
  const server = await AppServer.start(join(appDir, 'dist-v1'));
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(server.url);
    await ready(page);
    await expect(page.locator('body')).toHaveAttribute('data-version', '1');

    // Version 1 delivers online.
    const a = await enqueue(page, 'a');
    expect(await whenDone(page, a)).toBe('done');

    // Offline: ops queue, and the page reloads from version 1's precache.
    await context.setOffline(true);
    const b = await enqueue(page, 'b');
    const c = await enqueue(page, 'c');
    await page.reload();
    await ready(page);
    expect([await status(page, b), await status(page, c)]).toEqual(['pending', 'pending']);

    // Version 2 is deployed and found: it installs and waits, and the app's prompt fires.
    server.dir = join(appDir, 'dist-v2');
    await context.setOffline(false);
    await page.evaluate(() => (window as unknown as AppWindow).checkForUpdate());
    await expect(page.locator('body')).toHaveAttribute('data-need-refresh', 'true', { timeout: 30_000 });
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting?.state)).toBe(
      'installed',
    );

    // Version 1 keeps delivering while version 2 waits: what was queued, and a new op.
    expect(await whenDone(page, b)).toBe('done');
    expect(await whenDone(page, c)).toBe('done');
    const d = await enqueue(page, 'd');
    expect(await whenDone(page, d)).toBe('done');

    // The old tab reloads offline from its own precache, lazy chunk included (version 2's precache does not have it).
    await context.setOffline(true);
    await page.reload();
    await ready(page);
    await expect(page.locator('body')).toHaveAttribute('data-version', '1');
    expect(await page.evaluate(() => (window as unknown as AppWindow).lazyText)).toBe('lazy chunk of version 1');
    const e = await enqueue(page, 'e');

    // The user accepts: version 2 takes over and the page reloads into it (still offline: from version 2's precache).
    const reloaded = page.waitForEvent('load');
    await page.evaluate(() => void (window as unknown as AppWindow).acceptUpdate());
    await reloaded;
    await ready(page);
    await expect(page.locator('body')).toHaveAttribute('data-version', '2');
    expect(await page.evaluate(() => (window as unknown as AppWindow).lazyText)).toBe('lazy chunk of version 2');
    expect(await status(page, e)).toBe('pending');

    // Back online, version 2 delivers what version 1 left queued.
    await context.setOffline(false);
    expect(await whenDone(page, e)).toBe('done');

    // Each op was sent once, by one version: a-d by version 1 (before the user accepted), e by version 2.
    await page.waitForTimeout(500);
    const sent = server.received.map((r) => ({
      n: (JSON.parse(r.body) as { n: string }).n,
      version: r.headers['x-app-version'],
      key: r.headers['idempotency-key'],
    }));
    expect(sent.map((s) => `${s.n}@${s.version}`)).toEqual(['a@1', 'b@1', 'c@1', 'd@1', 'e@2']);
    expect(new Set(sent.map((s) => s.key)).size).toBe(5);
    expect(await page.evaluate(() => (window as unknown as AppWindow).ferry.stats())).toEqual({
      pending: 0,
      inflight: 0,
      done: 5,
      failed: 0,
    });
  } finally {
    await context.close();
    await server.close();
  }
});
