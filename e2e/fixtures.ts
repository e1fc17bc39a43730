import type { Page } from '@playwright/test';
import { test as base, expect } from '@playwright/test';
import { buildApp } from './app/build.ts';
import { ServiceWorkers, setOnline } from '../packages/testing/src/playwright/index.ts';
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

/** Opens the test page with `flags`, waits for the worker to be active and to control the page. */
export async function openApp(page: Page, server: TestServer, flags = ''): Promise<void> {
  await page.goto(`${server.url}/${flags ? `?${flags}` : ''}`);
  await page.evaluate(() => window.ferryReady);
  if (!flags.includes('mode=page')) await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}

export { setOnline };
