import type { CDPSession, Page } from '@playwright/test';
import { test as base, expect } from '@playwright/test';
import { buildApp } from './app/build.ts';
import { TestServer } from './server/TestServer.ts';

export { expect };

/** Ferry's test fixtures: one server (and one build) per worker process, reset for every test. */
export const test = base.extend<{ server: TestServer; cdp: Cdp }, { testServer: TestServer }>({
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
  cdp: async ({ context, page }, use) => {
    await use(await Cdp.attach(await context.newCDPSession(page)));
  },
});

/** Opens the test page with `flags`, waits for the worker to be active and to control the page. */
export async function openApp(page: Page, server: TestServer, flags = ''): Promise<void> {
  await page.goto(`${server.url}/${flags ? `?${flags}` : ''}`);
  await page.evaluate(() => window.ferryReady);
  if (!flags.includes('mode=page')) await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}

/** The service-worker side of CDP: dispatch `sync`, stop every worker. */
export class Cdp {
  readonly registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] = [];

  readonly session: CDPSession;

  private constructor(session: CDPSession) {
    this.session = session;
  }

  static async attach(session: CDPSession): Promise<Cdp> {
    const cdp = new Cdp(session);
    session.on('ServiceWorker.workerRegistrationUpdated', (e) => cdp.registrations.push(...e.registrations));
    await session.send('ServiceWorker.enable');
    return cdp;
  }

  async dispatchSync(origin: string, lastChance = false): Promise<void> {
    await expect.poll(() => this.registrations.filter((r) => !r.isDeleted).length).toBeGreaterThan(0);
    const reg = this.registrations.filter((r) => !r.isDeleted).at(-1);
    await this.session.send('ServiceWorker.dispatchSyncEvent', {
      origin,
      registrationId: reg?.registrationId ?? '',
      tag: 'ferry',
      lastChance,
    });
  }

  /** Kills every service worker at once, as the browser does to an idle or misbehaving one. */
  async stopAllWorkers(): Promise<void> {
    await this.session.send('ServiceWorker.stopAllWorkers');
  }
}

/**
 * Switches the network and waits until the worker sees it: `navigator.onLine`
 * in the worker follows `setOffline` a little later. Never call it while the
 * worker is stopped: Playwright's `setOffline` then hangs until the test times out.
 */
export async function setOnline(page: Page, online: boolean): Promise<void> {
  await page.context().setOffline(!online);
  await expect
    .poll(async () => {
      const reply = await page.evaluate(() => window.raw({ v: 1, id: 'online?', type: 'ping' }));
      return reply !== 'no-reply' && reply.ok && (reply.result as { online: boolean }).online;
    })
    .toBe(online);
}
