/**
 * IndexedDB guarantees only a real browser can show: acknowledged ops
 * survive a browser crash, and a full disk is a typed error that leaves
 * what was stored intact.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { launchChromium, removeProfile } from '../../../tools/launchChromium.ts';
import { servePage } from '../../../tools/servePage.ts';

const pageDir = fileURLToPath(new URL('./page', import.meta.url));
let site: Awaited<ReturnType<typeof servePage>>;

test.beforeAll(async () => {
  site = await servePage(pageDir, await mkdtemp(join(tmpdir(), 'ferry-idb-page-')));
});
test.afterAll(async () => {
  await site.close();
});

test('every acknowledged enqueue survives the browser being killed right after the ack', async () => {
  // Chromium now and then finds its files corrupt after the kill and deletes the database
  // (README, Guarantees): the reopened store says it created it. That round shows nothing
  // about Ferry; it is logged and run again on a new profile, up to 3 times.
  for (let round = 1; ; round++) {
    const profile = await mkdtemp(join(tmpdir(), 'ferry-crash-'));
    try {
      const first = await launchChromium(profile);
      const page = await first.browser.contexts()[0]!.newPage();
      await page.goto(site.url);
      await page.waitForFunction(() => document.title === 'ready');
      void page.evaluate(() => window.storageE2e.enqueueForever()).catch(() => {});
      await page.waitForFunction(() => window.storageE2e.acked.length >= 300);
      // Read the acks and kill the browser at once, while enqueues are still in flight.
      const acked = await page.evaluate(() => [...window.storageE2e.acked]);
      await first.crash();

      const second = await launchChromium(profile);
      try {
        const again = await second.browser.contexts()[0]!.newPage();
        await again.goto(site.url);
        await again.waitForFunction(() => document.title === 'ready');
        if (await again.evaluate(() => window.storageE2e.created())) {
          console.log(
            `round ${round}: the browser dropped the database after the kill; ${acked.length} acknowledged ops went with it`,
          );
          expect(round, 'the browser dropped the database in every round').toBeLessThan(3);
          continue;
        }
        const stored = new Set(await again.evaluate(() => window.storageE2e.ids()));
        const lost = acked.filter((id) => !stored.has(id));
        expect(lost, `${lost.length} of ${acked.length} acknowledged ops lost`).toEqual([]);
        expect(await again.evaluate(() => window.storageE2e.walPuts())).toBe(stored.size);
        return;
      } finally {
        await second.crash();
      }
    } finally {
      await removeProfile(profile);
    }
  }
});

test('a full quota rejects enqueue with quota-exceeded and leaves stored ops intact', async () => {
  // On disk: an in-memory context (newContext) does not enforce the quota override.
  const profile = await mkdtemp(join(tmpdir(), 'ferry-quota-'));
  const chrome = await launchChromium(profile);
  const context = chrome.browser.contexts()[0]!;
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const origin = new URL(site.url).origin;
  // Before the page opens its database: the override is read when storage is opened.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 2 * 1024 * 1024 });
  await page.goto(site.url);
  await page.waitForFunction(() => document.title === 'ready');
  const usage = await cdp.send('Storage.getUsageAndQuota', { origin });
  expect(usage.overrideActive).toBe(true);
  const filled = await page.evaluate(() => window.storageE2e.fillUntilRejected(60 * 1024, 400));
  expect(filled.code).toBe('quota-exceeded');
  expect(filled.stored).toBeGreaterThan(0);
  expect(await page.evaluate(() => window.storageE2e.readAll())).toEqual({ count: filled.stored, readable: true });

  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  expect(await page.evaluate(() => window.storageE2e.enqueueSmall())).not.toMatch(/^error:/);
  expect((await page.evaluate(() => window.storageE2e.readAll())).count).toBe(filled.stored + 1);
  await chrome.crash();
  await removeProfile(profile);
});
