import type { ConsoleMessage, Worker } from '@playwright/test';
import { expect, openApp, setOnline, test } from './fixtures.ts';
import { enqueue, message, whenDone } from './lib.ts';

/**
 * An outage is not a warning: with the default logger on the host and the page client, a server that is
 * out (a gateway's 502s, then the network down) and back writes no warning and no error to the console of
 * the page or of the service worker. The browser's own network lines ("Failed to load resource") are not
 * Ferry's and are left aside.
 */
test('an outage of 502s and offline, then recovery: no warning or error from Ferry in the page or the worker', async ({
  page,
  context,
  server,
}) => {
  const seen: string[] = [];
  const watch = (from: string) => (msg: ConsoleMessage) => {
    if (msg.type() !== 'warning' && msg.type() !== 'error') return;
    if (msg.text().startsWith('Failed to load resource')) return;
    seen.push(`${from} ${msg.type()}: ${msg.text()}`);
  };
  const watched = new Set<Worker>();
  const watchWorker = (worker: Worker): void => {
    if (!watched.has(worker)) worker.on('console', watch('worker'));
    watched.add(worker);
  };
  page.on('console', watch('page'));
  context.on('serviceworker', watchWorker);
  await openApp(page, server);
  context.serviceWorkers().forEach(watchWorker);
  expect(watched.size).toBe(1);

  let outage = 0;
  server.plan = () => (outage++, { status: 502, body: '<html>Bad Gateway</html>' });
  const ids = [
    await enqueue(page, message(1)),
    await enqueue(page, message(2)),
    await enqueue(page, message(3, { lane: 'b' })),
  ];
  await expect.poll(() => outage, { timeout: 10_000 }).toBeGreaterThanOrEqual(6);
  await setOnline(page, false);
  await page.waitForTimeout(1000);
  server.plan = () => 'pass';
  await setOnline(page, true);
  // Delivered; whether the last failure before recovery spent an attempt (a 502 while the other lane already
  // got the app's answer does) is the retry rules' business, tested on their own.
  for (const id of ids) expect(await whenDone(page, id)).toMatchObject({ id, status: 'done' });
  expect(seen).toEqual([]);
});
