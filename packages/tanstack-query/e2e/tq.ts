/**
 * What the TanStack Query specs share: the build of `page.ts` into the test app's static folder (`/tq.js`), and
 * its handle on the page (`window.tq`).
 */
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { build } from 'vite';
import type { Message, Tq } from './page.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Builds `page.ts` to `<staticDir>/tq.js`. */
export async function buildTq(staticDir: string): Promise<void> {
  await build({
    configFile: false,
    logLevel: 'warn',
    root: here,
    // Query reads process.env.NODE_ENV, as an app's bundler defines it.
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir: staticDir,
      emptyOutDir: false,
      copyPublicDir: false,
      minify: false,
      target: 'es2022',
      lib: { entry: `${here}page.ts`, formats: ['es'], fileName: () => 'tq.js' },
    },
  });
}

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
/** Messages `from` … `to - 1`, over 4 lanes. */
export const messages = (from: number, to: number): Message[] =>
  Array.from({ length: to - from }, (_, i) => ({ n: from + i, lane: `lane-${(from + i) % 4}` }));
