import { fileURLToPath } from 'node:url';
import { expect, openDemo, say, test } from './fixtures.ts';

// The README's picture is refreshed on demand (UPDATE_SCREENSHOT=1), so that a test run leaves the tree clean.
const SHOT = fileURLToPath(
  new URL(
    process.env.UPDATE_SCREENSHOT ? '../../demo/screenshot.png' : '../../test-results/demo-screenshot.png',
    import.meta.url,
  ),
);

test('screenshot for the README: sent messages, a failed one, one retrying, the side panel', async ({ page, demo }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  // Default retry timings, so that the retrying message shows a next attempt a few seconds out.
  await openDemo(page, demo, '');
  for (const text of [
    'Hi! Every message here is a Ferry operation.',
    'It is written to IndexedDB before anything is sent…',
    '…then the service worker delivers it, in order.',
  ]) {
    await say(page, text);
  }
  await expect(page.locator('#messages .msg[data-state=sent]')).toHaveCount(3);

  await page.locator('#f-poison').fill('spam');
  await page.locator('#f-poison').press('Tab');
  await expect.poll(() => demo.server.faults.poison).toBe('spam');
  await say(page, 'Win a free cruise! (spam)');
  await expect(page.locator('#failed .failed-op')).toHaveCount(1);

  await page.locator('#f-offline').check();
  await expect.poll(() => demo.server.faults.offline).toBe(true);
  await say(page, 'This one waits out the outage.');
  await say(page, 'And this one queues behind it.');
  const waiting = page.locator('#messages .msg', { hasText: 'waits out the outage' });
  await expect(waiting).toHaveAttribute('data-state', 'retrying');
  // Let a few sends fail so the backoff and the panel's history show. Nothing answers during the outage,
  // so no attempt is spent (attempts stay 0); the backoff grows all the same.
  // A moment when the next attempt is a few seconds out, so the shot says when.
  await expect(waiting.locator('.detail')).toContainText(/next try .*\(in [2-9] s\)/, { timeout: 40_000 });
  expect(
    await page.evaluate(async () =>
      (await window.demo.client.list())
        .filter((op) => op.status === 'pending' || op.status === 'inflight')
        .map((op) => op.attempt),
    ),
    'attempts spent while nothing answered',
  ).toEqual([0, 0]);
  await expect(page.locator('ferry-devtools .queue')).toContainText('Queued ops (3)');
  await page.screenshot({ path: SHOT });

  // The shot shows a real state: turning the outage off delivers the rest.
  await page.locator('#f-offline').uncheck();
  await page.evaluate(() => window.demo.client.syncNow());
  await expect(page.locator('#messages .msg[data-state=sent]')).toHaveCount(5, { timeout: 30_000 });
  expect(await demo.stored()).toHaveLength(5);
});
