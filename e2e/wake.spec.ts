import type { Page } from '@playwright/test';
import { expect, openApp, setOnline, test } from './fixtures.ts';
import { enqueue, get, message } from './lib.ts';

/**
 * Waits for the drain the enqueue started to end while still offline. Its
 * last step schedules the worker's own timer: had the network come back
 * before that, the timer would (rightly) send the op at once, and the test
 * could not tell which wake source delivered it.
 */
async function settleOffline(page: Page): Promise<void> {
  expect(await page.evaluate(() => window.ferry.syncNow())).toMatchObject({ pending: 1 });
}

test('a CDP-dispatched sync event drains the queue', async ({ page, server, cdp }) => {
  // No forwarded `online`, no registered tag: only the dispatched `sync` can wake the worker.
  await openApp(page, server, 'noforward&noregister');
  await setOnline(page, false);
  const id = await enqueue(page, message(1));
  await settleOffline(page);
  await setOnline(page, true);
  // Stopped, the worker has no timer left either.
  await cdp.stopAll();
  // An absence cannot be polled: give any other wake source a moment to (wrongly) deliver.
  await page.waitForTimeout(750);
  expect(server.received).toHaveLength(0);

  await cdp.dispatchSync(new URL(server.url).origin);
  await expect.poll(() => server.applied.length).toBe(1);
  // Applied is not yet done: the answer still has to come back (its body is read and kept) and be recorded.
  await expect.poll(async () => (await get(page, id))?.status).toBe('done');
});

test('on the last chance, a sync drains once more and leaves what still fails pending', async ({
  page,
  server,
  cdp,
}) => {
  await openApp(page, server, 'noforward&noregister');
  // The app's own error (a gateway's 503 would spend no attempt, and attempts are what this watches).
  server.plan = () => ({ status: 500, headers: { 'Retry-After': '1' } });
  const id = await enqueue(page, message(1));
  // Watch the broadcasts, not the worker: any request would wake it.
  const retries = () =>
    page.evaluate((id) => window.changes.filter((c) => c.op.id === id && c.type !== 'claim').map((c) => c.op), id);
  await expect.poll(async () => (await retries()).at(-1)?.attempt).toBe(1);
  await cdp.stopAll();
  const due = (await retries()).at(-1)?.nextAttemptAt ?? 0;
  await expect.poll(() => Date.now() >= due).toBe(true);
  expect(server.received).toHaveLength(1);

  await cdp.dispatchSync(new URL(server.url).origin, { lastChance: true });
  await expect.poll(async () => (await retries()).at(-1)?.attempt).toBe(2);
  expect((await retries()).at(-1)).toMatchObject({ status: 'pending', lastError: { status: 500 } });
  expect(server.received).toHaveLength(2);
});

test('without SyncManager, a forwarded online event drains the queue', async ({ page, server }) => {
  await openApp(page, server, 'nosync');
  expect(await page.evaluate(() => window.raw({ v: 1, id: 'p', type: 'ping' }))).toMatchObject({
    ok: true,
    result: { backgroundSync: false },
  });
  await setOnline(page, false);
  const id = await enqueue(page, message(1));
  await settleOffline(page);
  expect((await get(page, id))?.status).toBe('pending');
  await page.context().setOffline(false);
  // Well before the worker's own 60 s offline re-check.
  await expect.poll(() => server.applied.length, { timeout: 5000 }).toBe(1);
  await expect.poll(async () => (await get(page, id))?.status).toBe('done');
});

test('without SyncManager, a kick drains the queue', async ({ page, server }) => {
  await openApp(page, server, 'nosync&noforward');
  await setOnline(page, false);
  const id = await enqueue(page, message(1));
  await settleOffline(page);
  await setOnline(page, true);
  await page.waitForTimeout(750);
  expect(server.received).toHaveLength(0);
  await page.evaluate(() => window.ferry.kick());
  await expect.poll(() => server.applied.length, { timeout: 5000 }).toBe(1);
  await expect.poll(async () => (await get(page, id))?.status).toBe('done');
});
