import type { Page } from '@playwright/test';
import { test as base, expect } from '@playwright/test';
import { buildApp } from './app/build.ts';
import { ServiceWorkers, openApp as openWithWorker, setOnline } from '../packages/testing/src/playwright/index.ts';
import { TestServer } from './server/TestServer.ts';

export { expect };

/** Ferry's test fixtures: one server (and one build) per worker process, reset for every test. */
export const test = base.extend<{ server: TestServer; cdp: ServiceWorkers }, { testServer: TestServer }>({
  testServer: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies as a pattern.
    async ({}, use) => {
      const server = await TestServer.start(await buildApp());
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],
  server: async ({ testServer }, use) => {
    testServer.reset();
    await use(testServer);
    testServer.reset();
  },
  cdp: async ({ page }, use) => {
    await use(await ServiceWorkers.attach(page));
  },
});

/**
 * Opens the test page with `flags` and waits until its client is ready and,
 * unless `mode=page`, Ferry's worker controls the page and answers
 * (`@ferry/testing`'s `openApp`).
 */
export async function openApp(page: Page, server: TestServer, flags = ''): Promise<void> {
  const url = `${server.url}/${flags ? `?${flags}` : ''}`;
  const name = new URLSearchParams(flags).get('name');
  if (flags.includes('mode=page')) await page.goto(url);
  else await openWithWorker(page, url, { ...(name !== null && { name }) });
  await page.evaluate(() => window.ferryReady);
}

export { setOnline };
