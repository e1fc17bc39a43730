/**
 * Builds a package's classic-script bundle (run in the package, after
 * buildPackage.mjs): `classic/index.ts` and everything it imports, as one
 * IIFE that defines the global named in the package's `ferry.classic.global`,
 * minified, with a source map, into `ferry.classic.file`; and a declaration
 * of that global (`ferry.classic.types`) next to it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { build } from 'vite';

const pkg = process.cwd();
const { ferry } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as {
  ferry: { classic: { global: string; file: string; types: string } };
};
const out = join(pkg, ferry.classic.file);
await build({
  configFile: false,
  root: pkg,
  logLevel: 'warn',
  publicDir: false,
  build: {
    outDir: dirname(out),
    emptyOutDir: false,
    copyPublicDir: false,
    target: 'es2022',
    minify: true,
    sourcemap: true,
    lib: {
      entry: join(pkg, 'classic', 'index.ts'),
      formats: ['iife'],
      name: ferry.classic.global,
      fileName: () => basename(out),
    },
  },
});

// Its types: the global it defines, for a worker written in TypeScript that loads it with importScripts.
writeFileSync(join(pkg, ferry.classic.file.replace(/\.js$/, '.d.ts')), `${ferry.classic.types}\nexport {};\n`);
