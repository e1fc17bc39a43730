import type { Page } from 'playwright';
import { askWorker } from './askWorker.ts';

/**
 * Opens `url` and waits until a service worker controls the page and Ferry's
 * host in it answers: from then on an enqueue reaches the worker, and the
 * other helpers of this entry can reach it too.
 * @param options.timeoutMs @default 15000
 * @param options.name the host's `name`, for an app whose worker hosts a named Ferry @default none
 */
export async function openApp(
  page: Page,
  url: string,
  options: { timeoutMs?: number; name?: string } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  await page.goto(url);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: timeoutMs });
  const deadline = Date.now() + timeoutMs;
  const ping = { type: 'ping', ...(options.name !== undefined && { name: options.name }) };
  while ((await askWorker(page, ping))?.ok !== true) {
    if (Date.now() > deadline) throw new Error(`no Ferry host answered in the worker controlling ${url}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
