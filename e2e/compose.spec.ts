/**
 * The two other ways into an app's worker: a hand-written classic worker
 * that loads Ferry's prebuilt bundle with `importScripts` (no build step),
 * and a Workbox route with @ferry/workbox in place of BackgroundSyncPlugin.
 * Each delivers what was queued offline once, in order, with the app's headers.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { buildWith } from './compose/build.ts';
import { expect, openApp, setOnline, test as base } from './fixtures.ts';
import { inPage, message } from './lib.ts';
import { TestServer } from './server/TestServer.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const test = base.extend<object, { classicServer: TestServer; workboxServer: TestServer }>({
  classicServer: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies as a pattern.
    async ({}, use) => {
      if (!existsSync(join(root, 'packages', 'sw', 'dist', 'ferry-sw.classic.js'))) {
        execFileSync('pnpm', ['-s', '--filter', '@ferry/sw...', 'build'], { cwd: root, stdio: 'inherit' });
      }
      const server = await TestServer.start(await buildWith('classic'));
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],
  workboxServer: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies as a pattern.
    async ({}, use) => {
      const server = await TestServer.start(await buildWith('workbox'));
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],
});

const bodies = (server: TestServer): number[] => server.applied.map((a) => (a.body as { n: number }).n);

test('importScripts: a classic worker with the prebuilt bundle delivers offline-queued ops once, in order, with the app headers', async ({
  page,
  classicServer: server,
}) => {
  server.reset();
  await openApp(page, server);
  await setOnline(page, false);
  const ids = await inPage(
    page,
    (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))),
    [1, 2, 3].map((n) => message(n, { lane: 'l' })),
  );
  expect(await page.evaluate(() => window.ferry.stats())).toMatchObject({ pending: 3 });
  await setOnline(page, true);
  for (const id of ids)
    expect(await page.evaluate((id) => window.ferry.whenDone(id).then((op) => op.status), id)).toBe('done');
  expect(bodies(server)).toEqual([1, 2, 3]);
  expect(server.received).toHaveLength(3);
  for (const r of server.received)
    expect(r.headers).toMatchObject({
      'x-app': 'classic',
      'content-type': 'application/json',
      'idempotency-key': expect.any(String),
    });
  expect(new Set(server.received.map((r) => r.key)).size).toBe(3);
});

/** A POST from the page, as an app makes it, through the worker's Workbox route; `key`: its Idempotency-Key. */
const post = (page: Page, n: number, key?: string): Promise<{ status: number; body: unknown }> =>
  page.evaluate(
    async ({ n, key }) => {
      const res = await fetch('/api/messages', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-App': 'e2e',
          Authorization: 'Bearer stale-secret',
          ...(key !== undefined && { 'Idempotency-Key': key }),
        },
        body: JSON.stringify({ n, lane: 'workbox' }),
      });
      return { status: res.status, body: (await res.json()) as unknown };
    },
    { n, key },
  );

test('@ferry/workbox: a NetworkOnly route queues failed and 5xx requests as ops, answers 202, and delivers them once, in order, with the app headers', async ({
  page,
  workboxServer: server,
}) => {
  server.reset();
  await openApp(page, server);

  // Online and answered: the plugin stays out of the way.
  expect(await post(page, 1)).toEqual({ status: 201, body: { replayed: false } });

  // Offline: each request is queued; the page gets 202 with the op id.
  await setOnline(page, false);
  const queued = [await post(page, 2), await post(page, 3)];
  for (const q of queued) expect(q).toMatchObject({ status: 202, body: { queued: true, id: expect.any(String) } });

  await setOnline(page, true);
  await expect.poll(() => bodies(server), { timeout: 20_000 }).toEqual([1, 2, 3]);

  // Online, a 503 (which workbox's own plugin lets through) of a request with an Idempotency-Key is queued
  // too: the page's own request gets it, Ferry's resend under the same key is applied (slowly, so that 4 is
  // still in flight when 5 comes). The next request, while 4 waits, queues behind it instead of overtaking it.
  server.plan = (req, nth) => {
    if ((req.body as { n: number }).n !== 4) return 'pass';
    return nth === 1 ? { status: 503 } : { latencyMs: 1500 };
  };
  expect(await post(page, 4, 'key-4')).toMatchObject({ status: 202, body: { queued: true } });
  expect(await post(page, 5)).toMatchObject({ status: 202, body: { queued: true } });
  await expect.poll(() => bodies(server), { timeout: 20_000 }).toEqual([1, 2, 3, 4, 5]);

  // Ferry's sends: once each, with the app's header kept and the credential from the hook, never the stored one.
  const sent = server.received.filter((r) => r.headers?.['authorization'] !== 'Bearer stale-secret');
  expect(sent.map((r) => (r.body as { n: number }).n)).toEqual([2, 3, 4, 5]);
  for (const r of sent) {
    expect(r.headers).toMatchObject({
      'x-app': 'e2e',
      authorization: 'Bearer fresh',
      'content-type': 'application/json',
    });
  }
  // Nothing of the credential was stored in the ops; the kept headers (the app's x-app, seen on the wire
  // above) are deleted once their op is done, so none are left.
  const stored = await page.evaluate(async () => {
    const cache = await caches.open('ferry-workbox-headers');
    const kept = await Promise.all((await cache.keys()).map((k) => cache.match(k).then((r) => r?.text())));
    return { ops: JSON.stringify(await window.ferry.list()), kept };
  });
  expect(stored.ops).not.toContain('stale-secret');
  expect(stored.kept).toEqual([]);
});
