import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Builds the test page (an ES module) and the service worker (one classic
 * script, no imports) with Vite into a fresh temporary directory.
 * @returns the directory holding `page.js` and `sw.js`
 */
export async function buildApp(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'ferry-e2e-'));
  const one = (entry: string, format: 'es' | 'iife') =>
    build({
      configFile: false,
      logLevel: 'warn',
      root: here,
      build: {
        outDir,
        emptyOutDir: false,
        copyPublicDir: false,
        minify: false,
        target: 'es2022',
        lib: { entry: join(here, `${entry}.ts`), formats: [format], name: 'ferryE2e', fileName: () => `${entry}.js` },
      },
    });
  await Promise.all([one('page', 'es'), one('sw', 'iife')]);
  return outDir;
}
