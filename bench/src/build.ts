/**
 * Builds what the bench serves, with Vite: the pages (ES modules) and one
 * classic-script service worker per side, as e2e/app/build.ts does; and
 * measures what an app ships of Ferry, minified and gzipped.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const bench = join(here, '..');
/** workbox reads `process.env.NODE_ENV` to strip its dev-only logging. */
const define = { 'process.env.NODE_ENV': JSON.stringify('production') };

/** Builds the pages and the workers into `outDir`; `readable` leaves the workers unminified (for profiles). */
export async function buildBench(outDir: string, readable = false): Promise<void> {
  const root = join(bench, 'page');
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    define,
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      rollupOptions: { input: { index: join(root, 'index.html'), sw: join(root, 'sw.html') } },
    },
  });
  for (const side of ['ferry', 'workbox', 'floor']) {
    await build({
      configFile: false,
      root: bench,
      logLevel: 'warn',
      define,
      build: {
        outDir,
        emptyOutDir: false,
        copyPublicDir: false,
        target: 'es2022',
        minify: !readable,
        lib: {
          entry: join(bench, 'sw', `${side}.ts`),
          formats: ['iife'],
          name: 'benchSw',
          fileName: () => `sw-${side}.js`,
        },
      },
    });
  }
}

export interface ShippedSize {
  minBytes: number;
  gzipBytes: number;
  /** Largest contributors: bytes each module renders to before minification, by package and file. */
  topModules: Record<string, number>;
}

interface BuiltChunk {
  type: string;
  modules?: Record<string, { renderedLength: number }>;
}

/**
 * Minified and gzipped (node:zlib, level 9) size of an app entry importing
 * only the given code, bundled with Vite (Rolldown, Oxc minifier) the way an
 * app would bundle it.
 */
export async function shippedSize(code: string, format: 'es' | 'iife'): Promise<ShippedSize> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-size-'));
  try {
    // The entry lives in bench/ so that its imports resolve through bench's dependencies.
    const entry = join(bench, `.size-entry-${process.pid}.ts`);
    await writeFile(entry, code);
    let modules: Record<string, { renderedLength: number }> = {};
    try {
      const out = await build({
        configFile: false,
        root: bench,
        logLevel: 'warn',
        define,
        build: {
          outDir: dir,
          emptyOutDir: true,
          copyPublicDir: false,
          target: 'es2022',
          minify: true,
          lib: { entry, formats: [format], name: 'app', fileName: () => 'out.js' },
          // Library mode leaves an ES bundle's whitespace and comments in place (for the app's own
          // bundler to tree-shake); an app's build removes them, so the measure does too.
          rollupOptions: { output: { minify: true } },
        },
      });
      const outputs = (Array.isArray(out) ? out : [out]) as unknown as { output: BuiltChunk[] }[];
      modules = outputs.flatMap((o) => o.output).find((c) => c.type === 'chunk')?.modules ?? {};
    } finally {
      await rm(entry, { force: true });
    }
    const out = await readFile(join(dir, 'out.js'));
    const top = Object.entries(modules)
      .map(
        ([id, m]) =>
          [
            id.replace(/^.*\/(packages|node_modules)\//, '').replace(/^\.pnpm\/[^/]+\/node_modules\//, ''),
            m.renderedLength,
          ] as const,
      )
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12);
    return { minBytes: out.length, gzipBytes: gzipSync(out, { level: 9 }).length, topModules: Object.fromEntries(top) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The size scenario: Ferry's page client, its service worker, and workbox's for comparison. */
export async function sizes(): Promise<Record<'client' | 'sw' | 'workbox_sw', ShippedSize>> {
  return {
    client: await shippedSize(
      `import { createFerryClient } from '@ferry/client';\nexport const ferry = createFerryClient();\n`,
      'es',
    ),
    sw: await shippedSize(
      `import { createFerryHost } from '@ferry/sw';\ncreateFerryHost().listen(self as never);\n`,
      'iife',
    ),
    workbox_sw: await shippedSize(
      `import { Queue } from 'workbox-background-sync';\nexport const queue = new Queue('app');\n`,
      'iife',
    ),
  };
}
