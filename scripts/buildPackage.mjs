#!/usr/bin/env node
/**
 * `pnpm build` in a package (packages/*): ESM JavaScript, `.d.ts` and source
 * maps from `src/` into `dist/`, with `tsc -b tsconfig.build.json` (the
 * packages it references are built first). Relative `.ts` import specifiers
 * become `.js` in the JavaScript (`rewriteRelativeImportExtensions`) and, by
 * this script, in the declarations, which tsc leaves as written.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const pkg = process.cwd();
rmSync(join(pkg, 'dist'), { recursive: true, force: true });
// A build that starts from an empty dist must not be skipped as up to date.
rmSync(join(pkg, 'node_modules', '.cache', 'tsbuildinfo.json'), { force: true });
execFileSync('tsc', ['-b', 'tsconfig.build.json'], { stdio: 'inherit', cwd: pkg });

const relativeTs = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+?)\.ts(['"])/g;
for (const entry of readdirSync(join(pkg, 'dist'), { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  const fixed = text.replace(relativeTs, '$1$2.js$3');
  if (fixed !== text) writeFileSync(file, fixed);
}
