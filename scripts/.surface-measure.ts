// Bundles `code` as sizeBudgets does (dist aliases), prints min+gzip and writes the minified output for inspection.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
const root = '/work/wt-surface';
function distAliases() {
  const out: { find: string; replacement: string }[] = [];
  for (const dir of readdirSync(join(root, 'packages'))) {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    for (const [sub, target] of Object.entries(pkg.publishConfig?.exports ?? {}) as [string, any][]) {
      const file = typeof target === 'string' ? target : target.default;
      if (!file || !file.endsWith('.js')) continue;
      out.push({ find: sub === '.' ? pkg.name : `${pkg.name}${sub.slice(1)}`, replacement: join(root, 'packages', dir, file) });
    }
  }
  return out.sort((a, b) => b.find.length - a.find.length).map((a) => ({ ...a, find: new RegExp(`^${a.find.replace(/[/.]/g, '\\$&')}$`) as never }));
}
const code = process.argv[2]!;
const minify = process.argv[3] !== 'nomin';
const dir = await mkdtemp(join(tmpdir(), 'surface-size-'));
const entry = join(dir, 'entry.ts');
await writeFile(entry, code);
await build({ configFile: false, root: dir, logLevel: 'warn', resolve: { alias: distAliases() },
  build: { outDir: join(dir, 'out'), emptyOutDir: true, copyPublicDir: false, target: 'es2022', minify,
    lib: { entry, formats: ['es'], name: 'app', fileName: () => 'out.js' }, rollupOptions: { external: ['vitest', 'react', 'react-dom'] } } });
const out = await readFile(join(dir, 'out', 'out.js'));
await writeFile('/tmp/surface-size/out.js', out);
console.log(out.length, 'B min,', gzipSync(out, { level: 9 }).length, 'B min+gzip');
