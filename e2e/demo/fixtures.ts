import { PGlite } from '@electric-sql/pglite';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { test as base, expect } from '@playwright/test';
import { buildDemo } from '../../demo/buildDemo.ts';
// Declares `window.demo`, the page's handle.
import type {} from '../../demo/src/window.ts';
import type { DemoServer } from '../../demo/server/createDemoServer.ts';
import { createDemoServer } from '../../demo/server/createDemoServer.ts';

export { expect };
export { setOnline } from '../../packages/testing/src/playwright/index.ts';

export interface RunningDemo {
  server: DemoServer;
  url: string;
  /** The texts the server stored, in the order it stored them. */
  stored(): Promise<string[]>;
}

/**
 * The demo as `pnpm demo` runs it: built once per worker process with the
 * demo's own build, served by the reference server on an ephemeral port with
 * fresh tables for every test (a new origin, so a fresh worker and
 * IndexedDB) in one embedded database per worker process (PGlite takes
 * seconds to start).
 */
let made = 0;

export const test = base.extend<{ demo: RunningDemo }, { demoDist: string; demoDb: PGlite }>({
  demoDist: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies as a pattern.
    async ({}, use) => {
      const dir = await mkdtemp(join(tmpdir(), 'ferry-demo-dist-'));
      await use(await buildDemo(dir));
      await rm(dir, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],
  demoDb: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies as a pattern.
    async ({}, use) => {
      const db = new PGlite();
      await db.waitReady;
      await use(db);
      await db.close();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  demo: async ({ demoDist, demoDb }, use) => {
    const server = createDemoServer({ db: demoDb, tables: `t${++made}_`, staticDir: demoDist });
    const url = await server.listen(0);
    await use({ server, url, stored: async () => (await server.messages()).map((e) => String(e.message.text)) });
    await server.close();
  },
});

/** Opens the demo (with the worker's `query` flags), waits until it is live and the worker controls the page. */
export async function openDemo(page: Page, demo: RunningDemo, query = 'fast=1'): Promise<void> {
  await page.goto(`${demo.url}/${query ? `?${query}` : ''}`);
  await page.evaluate(() => window.demo.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}

/** Types a message and presses Enter, as a user does. */
export async function say(page: Page, text: string): Promise<void> {
  await page.locator('#text').fill(text);
  await page.locator('#text').press('Enter');
}

/** Checks the server's wire log: every Idempotency-Key took effect exactly once (201 once; repeats were replays). */
export async function expectEachAppliedOnce(server: DemoServer): Promise<void> {
  const applied = new Map<string, number>();
  for (const w of server.wire)
    if (w.status === 201 && !w.replayed && w.key) applied.set(w.key, (applied.get(w.key) ?? 0) + 1);
  expect([...applied.values()].filter((n) => n !== 1)).toEqual([]);
  expect(applied.size).toBe((await server.messages()).length);
}
