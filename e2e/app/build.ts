import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Builds the test page (one ES module, no imports) and the service worker (one
 * classic script) with Vite into a fresh temporary directory.
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
        // One file each: the worker's app-shell cache holds `page.js` alone, so a page that must load
        // offline imports no chunk (the DevTools panel's lazy import included).
        ...(format === 'es' && { rolldownOptions: { output: { codeSplitting: false } } }),
      },
    });
  await Promise.all([one('page', 'es'), one('sw', 'iife')]);
  return outDir;
}
