import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/**
 * Builds the demo into `outDir`: the page (`index.html` and hashed assets)
 * with Vite, then the service worker as one classic script, `sw.js`, with the
 * page's file list baked in for its app-shell cache. The build id is a hash
 * of those files, so a new build installs a new worker and a new cache.
 * @returns `outDir`
 */
export async function buildDemo(outDir: string): Promise<string> {
  await build({
    configFile: false,
    logLevel: 'warn',
    root: here,
    publicDir: false,
    build: { outDir, emptyOutDir: true, target: 'es2022' },
  });
  const files = await filesUnder(outDir);
  const hash = createHash('sha256');
  for (const f of files.sort()) hash.update(f).update(await readFile(f));
  const shell = [
    '/',
    ...files.map((f) => `/${relative(outDir, f).split(sep).join('/')}`).filter((p) => p !== '/index.html'),
  ];
  await build({
    configFile: false,
    logLevel: 'warn',
    root: here,
    publicDir: false,
    define: {
      __FERRY_SHELL__: JSON.stringify(shell),
      __FERRY_BUILD__: JSON.stringify(hash.digest('hex').slice(0, 12)),
    },
    build: {
      outDir,
      emptyOutDir: false,
      target: 'es2022',
      // A classic script: module workers are not supported everywhere, and a single file has nothing to fetch offline.
      lib: { entry: join(here, 'src', 'sw.ts'), formats: ['iife'], name: 'ferryDemoSw', fileName: () => 'sw.js' },
    },
  });
  return outDir;
}
