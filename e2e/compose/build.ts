import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { buildApp } from '../app/build.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/**
 * The test page (e2e/app) with another worker as `sw.js`: `classic`, the
 * hand-written worker that imports Ferry's prebuilt classic bundle (built by
 * `pnpm build`), or `workbox`, a Workbox worker with @ferry/workbox on its route.
 * @returns the directory to serve
 */
export async function buildWith(worker: 'classic' | 'workbox'): Promise<string> {
  const dir = await buildApp();
  if (worker === 'classic') {
    await copyFile(join(here, 'classic-sw.js'), join(dir, 'sw.js'));
    await copyFile(join(root, 'packages', 'sw', 'dist', 'ferry-sw.classic.js'), join(dir, 'ferry-sw.classic.js'));
    return dir;
  }
  const outDir = await mkdtemp(join(tmpdir(), 'ferry-workbox-'));
  await build({
    configFile: false,
    logLevel: 'warn',
    root: here,
    // workbox reads process.env.NODE_ENV to strip its dev-only logging.
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir,
      emptyOutDir: false,
      copyPublicDir: false,
      minify: false,
      target: 'es2022',
      lib: { entry: join(here, 'workbox-sw.ts'), formats: ['iife'], name: 'ferryWorkbox', fileName: () => 'sw.js' },
    },
  });
  await copyFile(join(outDir, 'sw.js'), join(dir, 'sw.js'));
  return dir;
}
