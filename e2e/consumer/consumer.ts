/**
 * Ferry as a new user gets it: the packages built and packed (`pnpm pack`),
 * checked for what they ship, linted (publint, @arethetypeswrong/cli), then
 * installed with npm into an app made from the create-vite vanilla-ts
 * template's own files (its tsconfig untouched) plus vite-plugin-pwa, whose
 * own `npm run build` must pass. Then: a Node ESM import of every entry, and
 * `tsc --noEmit` over a file importing every entry with moduleResolution
 * `bundler` and `nodenext`, `skipLibCheck: false`; and a page-only install
 * (`@ferry/client`) that must not pull the worker stack.
 *
 * `tsx e2e/consumer/consumer.ts` runs it all (scripts/test.sh does); the
 * update-flow test (e2e/consumer/update.spec.ts) serves the two builds it
 * leaves in `e2e/.consumer/app/dist-v1` and `dist-v2`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
export const work = join(root, 'e2e', '.consumer');
export const appDir = join(work, 'app');
const tarDir = join(work, 'tarballs');
const require = createRequire(import.meta.url);

/** What the app installs from the registry besides Ferry; versions whose engines include Node 20. */
const APP_DEPS = [
  'vite-plugin-pwa@2.0.0',
  'workbox-core@7.4.1',
  'workbox-precaching@7.4.1',
  'workbox-window@7.4.1',
  'vitest@4.1.12',
  'fast-check@4.11.0',
  'react@19.3.1',
  '@types/react@19.3.0',
];
/** Every entry Ferry publishes. */
export const ENTRIES = [
  '@ferry/core',
  '@ferry/core/protocol',
  '@ferry/core/testing',
  '@ferry/idb',
  '@ferry/sw',
  '@ferry/sw/protocol',
  '@ferry/client',
  '@ferry/client/page',
  '@ferry/workbox',
  '@ferry/react',
];
const PACKAGES = ['core', 'idb', 'sw', 'client', 'workbox', 'react'];
/** Files besides the entries a tarball must hold. */
const MORE: Record<string, string[]> = { sw: ['package/dist/ferry-sw.classic.js'] };

const run = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string =>
  execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });

function step<T>(name: string, fn: () => T): T {
  const t0 = Date.now();
  try {
    const out = fn();
    console.log(`consumer: ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return out;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    console.error(`consumer: FAILED ${name}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    throw err;
  }
}

/** Builds and packs every package; returns the tarballs by package directory name. */
export function pack(): Record<string, string> {
  step('build (pnpm -r build)', () => run('pnpm', ['-s', 'build'], root));
  rmSync(tarDir, { recursive: true, force: true });
  mkdirSync(tarDir, { recursive: true });
  const tarballs: Record<string, string> = {};
  step('pack (pnpm pack)', () => {
    for (const p of PACKAGES) {
      run('pnpm', ['pack', '--pack-destination', tarDir], join(root, 'packages', p));
      const name = readdirSync(tarDir).find((f) => f.startsWith(`ferry-${p}-`) && f.endsWith('.tgz'));
      if (!name) throw new Error(`no tarball for ${p}`);
      tarballs[p] = join(tarDir, name);
    }
  });
  return tarballs;
}

/** A tarball must hold built JavaScript, declarations, maps, README, LICENSE and package.json: no sources, tests or configs. */
export function checkContents(tarballs: Record<string, string>): Record<string, { files: number; bytes: number }> {
  const sizes: Record<string, { files: number; bytes: number }> = {};
  for (const [p, tgz] of Object.entries(tarballs)) {
    const files = run('tar', ['tzf', tgz], work).trim().split('\n');
    const bad = files.filter(
      (f) =>
        (/\.(ts|tsx|mts|cts)$/.test(f) && !f.endsWith('.d.ts')) ||
        /\.test\.|testFixtures|testSupport|\/examples\/|\/e2e\/|tsconfig|tsbuildinfo|vitest\.config/.test(f),
    );
    if (bad.length) throw new Error(`${p}: the tarball ships sources, tests or configs: ${bad.join(', ')}`);
    for (const want of [
      'package/package.json',
      'package/README.md',
      'package/LICENSE',
      'package/dist/index.js',
      'package/dist/index.d.ts',
      ...(MORE[p] ?? []),
    ]) {
      if (!files.includes(want)) throw new Error(`${p}: the tarball lacks ${want}`);
    }
    const manifest = JSON.parse(run('tar', ['xzOf', tgz, 'package/package.json'], work)) as Record<string, unknown>;
    for (const field of ['license', 'repository', 'engines', 'exports']) if (!manifest[field]) throw new Error(`${p}: package.json has no ${field}`);
    if (JSON.stringify(manifest).includes('workspace:')) throw new Error(`${p}: package.json still has a workspace: range`);
    if (JSON.stringify(manifest['exports']).includes('/src/')) throw new Error(`${p}: exports point at src`);
    sizes[p] = { files: files.length, bytes: readFileSync(tgz).length };
  }
  return sizes;
}

/** publint (strict) and @arethetypeswrong/cli (ESM-only profile) on each tarball. */
export function lintPackages(tarballs: Record<string, string>): void {
  const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
  for (const [p, tgz] of Object.entries(tarballs)) {
    const out = step(`publint ${p}`, () => run(bin('publint'), ['run', tgz, '--strict', '--level', 'suggestion'], work));
    if (!/All good/i.test(out)) throw new Error(`publint ${p}:\n${out}`);
    step(`attw ${p}`, () => run(bin('attw'), [tgz, '--profile', 'esm-only', '--format', 'ascii'], work));
  }
}

/** The create-vite vanilla-ts template's own files, from the pinned create-vite package. */
function template(dest: string): void {
  const src = join(dirname(require.resolve('create-vite/package.json')), 'template-vanilla-ts');
  cpSync(src, dest, { recursive: true });
  renameSync(join(dest, '_gitignore'), join(dest, '.gitignore'));
}

/** Makes the app, installs everything with npm, runs its own `npm run build`, and builds version 2. */
export function makeApp(tarballs: Record<string, string>): void {
  rmSync(appDir, { recursive: true, force: true });
  template(appDir);
  const tsconfig = readFileSync(join(appDir, 'tsconfig.json'), 'utf8');
  cpSync(join(here, 'app'), appDir, { recursive: true });
  const main = join(appDir, 'src', 'main.ts');
  writeFileSync(main, `import './ferry.ts'\n${readFileSync(main, 'utf8')}`);
  const npm = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
  step('npm install (template, Ferry tarballs, vite-plugin-pwa, workbox)', () =>
    run('npm', ['install', ...npm, ...PACKAGES.map((p) => tarballs[p] as string), ...APP_DEPS], appDir),
  );
  // Ferry's packages came from the tarballs, none from the registry.
  for (const p of PACKAGES) {
    const installed = JSON.parse(readFileSync(join(appDir, 'node_modules', '@ferry', p, 'package.json'), 'utf8')) as { description?: string };
    if (!installed.description?.startsWith('Ferry')) throw new Error(`@ferry/${p} did not come from the tarball`);
  }
  if (readFileSync(join(appDir, 'tsconfig.json'), 'utf8') !== tsconfig) throw new Error("the template's tsconfig changed");
  step("the template's own npm run build (tsc && vite build), version 1", () => run('npm', ['run', 'build'], appDir, { APP_VERSION: '1', APP_OUT: 'dist-v1' }));
  step('vite build, version 2', () => run('npx', ['vite', 'build'], appDir, { APP_VERSION: '2', APP_OUT: 'dist-v2' }));
  writeFileSync(join(appDir, '.ready'), new Date().toISOString());
}

/** A Node ESM import of every entry, from the app. */
export function importEntries(): void {
  const script = `for (const e of ${JSON.stringify(ENTRIES)}) { const m = await import(e); if (!Object.keys(m).length) throw new Error(e + ' exports nothing'); }`;
  step('node: import every entry', () => run('node', ['--input-type=module', '-e', script], appDir));
}

/** `tsc --noEmit` over a file importing every entry, skipLibCheck off, under both resolutions. */
export function typecheckEntries(): void {
  const checkDir = join(appDir, 'check');
  cpSync(join(here, 'check'), checkDir, { recursive: true });
  // The README's quick-start snippets, and those of the users guide, as written: the worker's and the page's.
  for (const [doc, name, marker] of [
    ['README.md', 'readme-sw.ts', '// sw.ts:'],
    ['README.md', 'readme-app.ts', '// app.ts:'],
    ['docs/users-and-credentials.md', 'users-sw.ts', '// sw.ts:'],
    ['docs/users-and-credentials.md', 'users-app.ts', '// app.ts:'],
  ] as const) {
    const text = readFileSync(join(root, doc), 'utf8');
    const block = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').find((b) => b.startsWith(marker));
    if (!block) throw new Error(`${doc} has no ts block starting with ${marker}`);
    writeFileSync(join(checkDir, name), block);
  }
  // A page's program (DOM) over every entry; a worker's (WebWorker) over what a worker imports.
  for (const [resolution, module, lib, files] of [
    ['bundler', 'esnext', 'DOM', ['entries.ts', 'readme-app.ts', 'users-app.ts']],
    ['nodenext', 'nodenext', 'DOM', ['entries.ts', 'readme-app.ts', 'users-app.ts']],
    ['bundler', 'esnext', 'WebWorker', ['worker.ts', 'readme-sw.ts', 'classic-worker.ts', 'users-sw.ts']],
    ['nodenext', 'nodenext', 'WebWorker', ['worker.ts', 'readme-sw.ts', 'classic-worker.ts', 'users-sw.ts']],
  ] as const) {
    const config = {
      compilerOptions: {
        target: 'es2023',
        module,
        moduleResolution: resolution,
        lib: ['ES2023', lib],
        types: [],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        verbatimModuleSyntax: true,
        erasableSyntaxOnly: true,
        noPropertyAccessFromIndexSignature: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
      },
      files,
    };
    const configFile = join(checkDir, `tsconfig.${resolution}.${lib}.json`);
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    step(`tsc --noEmit ${files.join(' ')}, moduleResolution ${resolution}, lib ${lib}, skipLibCheck false`, () =>
      run(join(appDir, 'node_modules', '.bin', 'tsc'), ['-p', configFile], checkDir),
    );
  }
}

/** `npm install @ferry/client` alone (with core, its dependency) must not bring @ferry/sw, @ferry/idb or idb. */
export function pageOnlyInstall(tarballs: Record<string, string>): void {
  const dir = join(work, 'page-only');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'page-only', private: true, type: 'module' }));
  step('npm install @ferry/client alone', () =>
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarballs['core'] as string, tarballs['client'] as string], dir),
  );
  for (const pulled of ['@ferry/sw', '@ferry/idb', 'idb']) {
    if (existsSync(join(dir, 'node_modules', pulled))) throw new Error(`installing @ferry/client pulled ${pulled}`);
  }
  step('node: import @ferry/client in the page-only install', () => run('node', ['--input-type=module', '-e', "await import('@ferry/client')"], dir));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  mkdirSync(work, { recursive: true });
  const tarballs = pack();
  const sizes = checkContents(tarballs);
  for (const [p, s] of Object.entries(sizes)) console.log(`consumer: ${p} tarball ${s.bytes} B, ${s.files} files`);
  lintPackages(tarballs);
  makeApp(tarballs);
  importEntries();
  typecheckEntries();
  pageOnlyInstall(tarballs);
  console.log(`consumer: all checks passed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
