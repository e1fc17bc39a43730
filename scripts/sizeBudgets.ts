/**
 * Size budgets, one per entry point (size-budgets.json): each entry's usual
 * import, bundled from the *built* packages (dist/, as published) with Vite
 * the way an app bundles it, minified, gzipped (level 9), against its
 * budget. A prebuilt file (the classic importScripts bundle) is measured as
 * it ships. Fails when an entry is over budget. Run `pnpm build` first.
 *
 * The package READMEs state these figures between markers, `<!-- size: @ferry/client -->5.4 kB<!-- /size -->`
 * (kB of 1000 bytes, one decimal), written by `--update-readmes` (scripts/lib/readmeSizes.ts); the check
 * fails when a README's figure is not the measured one, or a package README states none.
 *
 *     pnpm -s sizes                    # check
 *     pnpm -s sizes --write            # print the sizes without failing
 *     pnpm -s sizes --update-readmes   # write the measured figures into the package READMEs
 *     pnpm -s sizes --explain [name]   # also list each module's share of the entries (those whose name contains name)
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { readmeSizes } from './lib/readmeSizes.ts';
import { explainSize } from './lib/explainSize.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Budget {
  /** The code an app writes to use the entry; bundled as is. */
  code?: string;
  /** Or a file a package ships, relative to the root, measured as it is. */
  file?: string;
  format?: 'es' | 'iife';
  /** Most bytes, minified and gzipped. */
  gzip: number;
  /**
   * An entry (listed before this one) this one must measure no more than: code that adds nothing to it
   * (a development-only import that a production build drops) proves so, within {@link SAME_CODE_BYTES}.
   * Such an entry counts every chunk its build emits, the lazily loaded ones too.
   */
  notAbove?: string;
}

/** `@ferry/x/sub` → the built file it publishes, from every package's `publishConfig.exports`. */
function distAliases(): { find: string; replacement: string }[] {
  const out: { find: string; replacement: string }[] = [];
  for (const dir of readdirSync(join(root, 'packages'))) {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as {
      name: string;
      publishConfig?: { exports?: Record<string, string | { default?: string }> };
    };
    for (const [sub, target] of Object.entries(pkg.publishConfig?.exports ?? {})) {
      const file = typeof target === 'string' ? target : target.default;
      if (!file || !file.endsWith('.js')) continue;
      out.push({
        find: sub === '.' ? pkg.name : `${pkg.name}${sub.slice(1)}`,
        replacement: join(root, 'packages', dir, file),
      });
    }
  }
  // Longest first, so that `@ferry/core/protocol` is not taken for `@ferry/core` + `/protocol`.
  return out
    .sort((a, b) => b.find.length - a.find.length)
    .map((a) => ({ ...a, find: new RegExp(`^${a.find.replace(/[/.]/g, '\\$&')}$`) as never }));
}

/** How far apart two builds of the same code may measure here (the minifier's choices differ by a few bytes). */
const SAME_CODE_BYTES = 16;

/**
 * The entry's bundle, or with `chunks` the sum of every chunk the build emits, each gzipped on its own;
 * with `explain` (the entry's name), each module's share of it is printed.
 */
async function bundledSize(code: string, format: 'es' | 'iife', chunks: boolean, explain?: string): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-size-'));
  try {
    const entry = join(dir, 'entry.ts');
    await writeFile(entry, code);
    const output = await build({
      configFile: false,
      root: dir,
      logLevel: 'warn',
      resolve: { alias: distAliases() },
      build: {
        outDir: join(dir, 'out'),
        emptyOutDir: true,
        copyPublicDir: false,
        target: 'es2022',
        minify: true,
        lib: { entry, formats: [format], name: 'app', fileName: () => 'out.js' },
        // Not Ferry's to count: the test runner, and the frameworks (React, Vue, Svelte) and tRPC that an app using their bindings already ships.
        rollupOptions: {
          external: ['vitest', 'react', 'react-dom', 'vue', /^svelte(\/|$)/, /^@trpc\//],
          // Library mode leaves an ES bundle's whitespace and comments in place (for the app's own
          // bundler to tree-shake); an app's build removes them, so the measure does too.
          output: { minify: true },
        },
      },
    });
    const files = chunks ? readdirSync(join(dir, 'out')).filter((f) => /\.m?js$/.test(f)) : ['out.js'];
    let bytes = 0;
    for (const f of files) bytes += gzipSync(await readFile(join(dir, 'out', f)), { level: 9 }).length;
    if (explain) explainSize(explain, output, bytes, root);
    return bytes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const budgets = JSON.parse(await readFile(join(root, 'size-budgets.json'), 'utf8')) as Record<string, Budget | string>;
const explainAt = process.argv.indexOf('--explain');
const explain = explainAt > 0 ? (process.argv[explainAt + 1] ?? '') : undefined;
const report = process.argv.includes('--write') || explain !== undefined;
let over = 0;
const measured = new Map<string, number>();
for (const [name, b] of Object.entries(budgets)) {
  if (typeof b === 'string') continue; // a comment
  if (explain !== undefined && !name.includes(explain)) continue;
  const size = b.file
    ? gzipSync(await readFile(join(root, b.file)), { level: 9 }).length
    : await bundledSize(
        b.code ?? '',
        b.format ?? 'es',
        b.notAbove !== undefined,
        explain === undefined ? undefined : name,
      );
  measured.set(name, size);
  const limit = b.notAbove === undefined ? Infinity : (measured.get(b.notAbove) ?? -Infinity) + SAME_CODE_BYTES;
  const ok = size <= b.gzip && size <= limit;
  if (size > limit)
    console.error(`size: ${name} must measure no more than ${b.notAbove}, give or take ${SAME_CODE_BYTES} B`);
  if (!ok) over++;
  console.log(
    `size: ${ok ? 'ok  ' : 'OVER'} ${name.padEnd(34)} ${String(size).padStart(6)} B of ${b.gzip} B (min+gzip)`,
  );
}
const stale = explain === undefined ? readmeSizes(root, measured, process.argv.includes('--update-readmes')) : [];
for (const s of stale) console.error(`size: ${s}`);
if (stale.length) console.error('size: run `pnpm sizes:update` (it builds first) and commit the READMEs');
if (over && !report) {
  console.error(`size: ${over} entr${over === 1 ? 'y is' : 'ies are'} over budget (size-budgets.json)`);
}
if ((over && !report) || stale.length) process.exit(1);
