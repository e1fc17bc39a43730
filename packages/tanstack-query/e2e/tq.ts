/**
 * What the TanStack Query specs share: the build of `page.ts` into the test app's static folder (`/tq.js`), and
 * its handle on the page (`window.tq`).
 */
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { buildScript } from '../../../e2e/scenario/buildScript.ts';
import type { Message } from '../../../e2e/scenario/offline.ts';
import type { Tq } from './page.ts';

export { messages } from '../../../e2e/scenario/offline.ts';

/** Builds `page.ts` to `<staticDir>/tq.js`. */
export const buildTq = (staticDir: string): Promise<void> =>
  buildScript(staticDir, { entry: fileURLToPath(new URL('page.ts', import.meta.url)), fileName: 'tq.js' });

const tq = (page: Page) => page.evaluateHandle(() => (window as unknown as { tq: Tq }).tq);
/** Loads `/tq.js` into the page (after each load of it). */
export async function load(page: Page): Promise<void> {
  await page.addScriptTag({ url: '/tq.js', type: 'module' });
  await page.waitForFunction(() => 'tq' in window);
}
export const counts = async (page: Page) => (await tq(page)).evaluate((t) => t.counts());
export const unsent = async (page: Page) => (await tq(page)).evaluate((t) => t.unsent());
export const restore = async (page: Page) => (await tq(page)).evaluate((t) => t.restore());
export const mutate = async (page: Page, messages: Message[]) =>
  (await tq(page)).evaluate((t, m) => t.mutate(m), messages);
