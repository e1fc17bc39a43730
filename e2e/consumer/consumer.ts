/**
 * Ferry as a new user gets it: the packages packed (`pnpm pack`, whose prepack builds them),
 * checked for what they ship, linted (publint, @arethetypeswrong/cli), then
 * installed with npm into an app made from the create-vite vanilla-ts
 * template's own files (its tsconfig untouched) plus vite-plugin-pwa, whose
 * own `npm run build` must pass. Then: a Node ESM import of every entry, and
 * `tsc --noEmit` over a file importing every entry with moduleResolution
 * `bundler` and `nodenext`, `skipLibCheck: false`; and a page-only install
 * (`@ferry/client`) that must not pull the worker stack. @ferry/server is
 * installed with its peers at the versions it pins; its README's first example
 * runs as written (Node's http, PGlite) and is asked over real HTTP, and its
 * Hono example answers `app.request`; every snippet of its README and docs is
 * type-checked in a Node program.
 *
 * `tsx e2e/consumer/consumer.ts` runs it all (scripts/test.sh does); the
 * update-flow test (e2e/consumer/update.spec.ts) serves the two builds it
 * leaves in `e2e/.consumer/app/dist-v1` and `dist-v2`.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { followTestingGuide } from './guideChaos.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
export const work = join(root, 'e2e', '.consumer');
export const appDir = join(work, 'app');
const tarDir = join(work, 'tarballs');
const require = createRequire(import.meta.url);

/** What the app installs from the registry besides Ferry; versions whose engines include Node 20. */
/**
 * vue-tsc and svelte-check, which type-check the docs' Vue and Svelte components (scripts/docs/snippets.ts), in a
 * folder of its own in the app: they run on TypeScript 5, and the app's own TypeScript is 7.
 */
export const VUE_CHECK_DEPS = ['vue-tsc@3.3.14', 'svelte-check@4.7.9', 'typescript@5.9.3'];
const APP_DEPS = [
  'vite-plugin-pwa@2.0.0',
  'workbox-core@7.4.1',
  'workbox-precaching@7.4.1',
  'workbox-window@7.4.1',
  'vitest@4.1.12',
  'fast-check@4.11.0',
  'react@19.3.1',
  '@types/react@19.3.0',
  // @ferry/tanstack-query's README and guide use React Query (query-core, its peer, comes with it).
  '@tanstack/react-query@5.108.4',
  // The docs' Vue components' framework (vue-tsc checks them: VUE_CHECK_DEPS), @ferry/vue's peer.
  'vue@3.5.47',
  // @ferry/svelte's peer (svelte-check checks the docs' components: VUE_CHECK_DEPS).
  'svelte@5.60.1',
  // @ferry/tanstack-query/trpc's peers.
  '@trpc/client@11.25.2',
  '@trpc/server@11.25.2',
  // @ferry/server's peers and their types at the versions packages/server pins, @types/node for a
  // Node program, and Express for docs/node.md's example.
  ...['@electric-sql/pglite', 'hono', 'pg', '@types/pg'].map((name) => `${name}@${serverPins()[name]}`),
  '@types/node@20.19.43',
  'express@5.3.0',
  // @ferry/testing/playwright's peer, and the runner the testing guide uses; @ferry/testing/msw's peer.
  'playwright@1.65.1',
  'msw@2.15.0',
  '@playwright/test@1.65.1',
  '@types/express@5.0.6',
  // docs/tracing.md's OpenTelemetry setup; @ferry/server/otel's optional peer is @opentelemetry/api.
  '@opentelemetry/api@1.9.1',
  '@opentelemetry/sdk-trace-base@2.12.1',
  '@opentelemetry/exporter-trace-otlp-http@0.223.1',
  '@opentelemetry/context-async-hooks@2.12.1',
];
/** Every entry Ferry publishes. */
export const ENTRIES = [
  '@ferry/core',
  '@ferry/core/batch',
  '@ferry/core/internal',
  '@ferry/core/protocol',
  '@ferry/core/testing',
  '@ferry/idb',
  '@ferry/sw',
  '@ferry/sw/testing',
  '@ferry/sw/devtools',
  '@ferry/sw/credentials',
  '@ferry/sw/batch',
  '@ferry/sw/otel',
  '@ferry/client',
  '@ferry/client/page',
  '@ferry/client/status',
  '@ferry/client/identity',
  '@ferry/client/history',
  '@ferry/client/watch',
  '@ferry/client/pending',
  '@ferry/client/otel',
  '@ferry/devtools',
  '@ferry/workbox',
  '@ferry/react',
  '@ferry/vue',
  '@ferry/svelte',
  '@ferry/tanstack-query',
  '@ferry/tanstack-query/trpc',
  '@ferry/server',
  '@ferry/server/pglite',
  '@ferry/server/pg',
  '@ferry/server/node',
  '@ferry/server/hono',
  '@ferry/server/otel',
  '@ferry/server/testing',
  '@ferry/testing',
  '@ferry/testing/proxy',
  '@ferry/testing/playwright',
  '@ferry/testing/msw',
  '@ferry/testing/node',
];
const PACKAGES = [
  'core',
  'idb',
  'sw',
  'client',
  'devtools',
  'workbox',
  'react',
  'vue',
  'svelte',
  'tanstack-query',
  'server',
  'testing',
];
/** Files besides the entries a tarball must hold. */
const MORE: Record<string, string[]> = {
  sw: ['package/dist/ferry-sw.classic.js'],
  server: [
    'package/dist/PgliteStore.js',
    'package/dist/PgStore.js',
    'package/dist/node.js',
    'package/dist/hono.js',
    'package/dist/otel.js',
  ],
  testing: [
    'package/dist/proxy/index.js',
    'package/dist/playwright/index.js',
    'package/dist/msw/index.js',
    'package/dist/node/index.js',
  ],
};

function serverPins(): Record<string, string> {
  return (
    JSON.parse(readFileSync(join(root, 'packages', 'server', 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    }
  ).devDependencies;
}

const run = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string =>
  execFileSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });

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

/**
 * Packs every package, in dependency order, from no `dist/`: each package's `prepack` must build it
 * (checkContents then finds the built entries). Returns the tarballs by package directory name.
 */
export function pack(): Record<string, string> {
  rmSync(tarDir, { recursive: true, force: true });
  mkdirSync(tarDir, { recursive: true });
  const tarballs: Record<string, string> = {};
  step('build and pack (pnpm pack, whose prepack builds)', () => {
    for (const p of PACKAGES) {
      rmSync(join(root, 'packages', p, 'dist'), { recursive: true, force: true });
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
    for (const field of ['license', 'repository', 'engines', 'exports'])
      if (!manifest[field]) throw new Error(`${p}: package.json has no ${field}`);
    if (JSON.stringify(manifest).includes('workspace:'))
      throw new Error(`${p}: package.json still has a workspace: range`);
    if (JSON.stringify(manifest['exports']).includes('/src/')) throw new Error(`${p}: exports point at src`);
    sizes[p] = { files: files.length, bytes: readFileSync(tgz).length };
  }
  return sizes;
}

/** publint (strict) and @arethetypeswrong/cli (ESM-only profile) on each tarball. */
export function lintPackages(tarballs: Record<string, string>): void {
  const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
  for (const [p, tgz] of Object.entries(tarballs)) {
    const out = step(`publint ${p}`, () =>
      run(bin('publint'), ['run', tgz, '--strict', '--level', 'suggestion'], work),
    );
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
  mkdirSync(join(appDir, 'vue-check'), { recursive: true });
  writeFileSync(join(appDir, 'vue-check', 'package.json'), '{ "private": true }\n');
  step('npm install vue-tsc and svelte-check (TypeScript 5) beside the app', () =>
    run('npm', ['install', ...npm, ...VUE_CHECK_DEPS], join(appDir, 'vue-check')),
  );
  // Ferry's packages came from the tarballs, none from the registry.
  for (const p of PACKAGES) {
    const installed = JSON.parse(readFileSync(join(appDir, 'node_modules', '@ferry', p, 'package.json'), 'utf8')) as {
      description?: string;
    };
    if (!installed.description?.startsWith('Ferry')) throw new Error(`@ferry/${p} did not come from the tarball`);
  }
  if (readFileSync(join(appDir, 'tsconfig.json'), 'utf8') !== tsconfig)
    throw new Error("the template's tsconfig changed");
  step("the template's own npm run build (tsc && vite build), version 1", () =>
    run('npm', ['run', 'build'], appDir, { APP_VERSION: '1', APP_OUT: 'dist-v1' }),
  );
  step('vite build, version 2', () => run('npx', ['vite', 'build'], appDir, { APP_VERSION: '2', APP_OUT: 'dist-v2' }));
  writeFileSync(join(appDir, '.ready'), new Date().toISOString());
}

/** Entries that hold types only: they import, and export nothing at run time. */
const TYPES_ONLY: readonly string[] = ['@ferry/core/batch'];

/** A Node ESM import of every entry, from the app; each but the types-only ones exports something. */
export function importEntries(): void {
  const script = `for (const e of ${JSON.stringify(ENTRIES)}) { const m = await import(e); if (!${JSON.stringify(TYPES_ONLY)}.includes(e) && !Object.keys(m).length) throw new Error(e + ' exports nothing'); }`;
  step('node: import every entry', () => run('node', ['--input-type=module', '-e', script], appDir));
}

/** The TypeScript snippets the docs promise compile: [doc, file name in check/, the line it starts with]. */
const SNIPPETS = [
  ['README.md', 'readme-sw.ts', '// sw.ts:'],
  ['README.md', 'readme-app.ts', '// app.ts:'],
  ['docs/users-and-credentials.md', 'users-sw.ts', '// sw.ts:'],
  ['docs/users-and-credentials.md', 'users-app.ts', '// app.ts:'],
  ['docs/users-and-credentials.md', 'users-tabs.ts', '// tabs.ts:'],
  ['docs/users-and-credentials.md', 'server-users.ts', '// server.ts:'],
  ['docs/existing-pwa.md', 'pwa-react.tsx', '// src/ReloadPrompt.tsx:'],
  ['packages/server/README.md', 'server-readme.ts', '// server.ts:'],
  ['packages/server/README.md', 'server-transaction.ts', '// transaction.ts:'],
  ['packages/server/docs/node.md', 'server-express.ts', '// server.ts:'],
  ['packages/server/docs/hono.md', 'server-hono.ts', '// app.ts:'],
  ['packages/server/docs/fetch.md', 'server-fetch.ts', '// server.ts:'],
  ['packages/server/docs/stores.md', 'server-stores.ts', '// stores.ts:'],
] as const;

/** The ```ts (or ```tsx) block of `doc` whose first line starts with `marker`, as written. */
function snippet(doc: string, marker: string): string {
  const text = readFileSync(join(root, doc), 'utf8');
  const block = [...text.matchAll(/```tsx?\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').find((b) => b.startsWith(marker));
  if (!block) throw new Error(`${doc} has no ts or tsx block starting with ${marker}`);
  return block;
}

/** `tsc --noEmit` over a file importing every entry, skipLibCheck off, under both resolutions. */
export function typecheckEntries(): void {
  const checkDir = join(appDir, 'check');
  cpSync(join(here, 'check'), checkDir, { recursive: true });
  // The README's quick-start snippets, those of the users guide, the existing-PWA guide's React
  // example, and those of @ferry/server's README and docs, as written: the worker's, the page's and
  // the server's.
  for (const [doc, name, marker] of SNIPPETS) writeFileSync(join(checkDir, name), snippet(doc, marker));
  const server = [
    'server-entries.ts',
    'server-env.d.ts',
    ...SNIPPETS.filter(([, name]) => name.startsWith('server-')).map(([, name]) => name),
  ];
  // A page's program (DOM) over every entry; a worker's (WebWorker) over what a worker imports; a
  // Node program (no DOM, @types/node) over the server's entries and snippets.
  for (const [resolution, module, lib, files] of [
    ['bundler', 'esnext', 'DOM', ['entries.ts', 'readme-app.ts', 'users-app.ts', 'users-tabs.ts', 'pwa-react.tsx']],
    ['nodenext', 'nodenext', 'DOM', ['entries.ts', 'readme-app.ts', 'users-app.ts', 'users-tabs.ts', 'pwa-react.tsx']],
    ['bundler', 'esnext', 'WebWorker', ['worker.ts', 'readme-sw.ts', 'classic-worker.ts', 'users-sw.ts']],
    ['nodenext', 'nodenext', 'WebWorker', ['worker.ts', 'readme-sw.ts', 'classic-worker.ts', 'users-sw.ts']],
    ['bundler', 'esnext', 'Node', server],
    ['nodenext', 'nodenext', 'Node', server],
  ] as const) {
    const config = {
      compilerOptions: {
        target: 'es2023',
        module,
        moduleResolution: resolution,
        lib: lib === 'Node' ? ['ES2023'] : ['ES2023', lib],
        types: lib === 'Node' ? ['node'] : [],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        verbatimModuleSyntax: true,
        erasableSyntaxOnly: true,
        noPropertyAccessFromIndexSignature: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        jsx: 'react-jsx',
      },
      files,
    };
    const configFile = join(checkDir, `tsconfig.${resolution}.${lib}.json`);
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    step(
      `tsc --noEmit ${files.join(' ')}, moduleResolution ${resolution}, lib ${lib === 'Node' ? 'ES2023 and @types/node' : lib}, skipLibCheck false`,
      () =>
        lib === 'Node'
          ? tscBesidesPglite(configFile, checkDir)
          : run(join(appDir, 'node_modules', '.bin', 'tsc'), ['-p', configFile], checkDir),
    );
  }
}

/** A running example: its process and what it printed. */
interface Example {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startExample(file: string, cwd: string, env: Record<string, string> = {}): Example {
  const child = spawn(process.execPath, [file], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out, exited: new Promise((r) => child.once('exit', r)) };
}

/**
 * Compiles @ferry/server's two runnable examples with the app's tsc and starts them, so that PGlite
 * boots (seconds) while the other checks run: packages/server/README.md's first example as written,
 * after the app's two functions (server/readmePrelude.ts) and with a free port for 3000; and
 * docs/hono.md's example after its auth middleware and save (server/honoPrelude.ts), driven by
 * server/honoCheck.ts through `app.request`.
 */
export async function startServerExamples(): Promise<{ port: number; readme: Example; hono: Example }> {
  const dir = join(appDir, 'server-run');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const readme = snippet('packages/server/README.md', '// server.ts:');
  if (!readme.includes('.listen(3000)'))
    throw new Error("packages/server/README.md's first example no longer listens on 3000");
  const prelude = (name: string): string => readFileSync(join(here, 'server', name), 'utf8');
  writeFileSync(
    join(dir, 'readme-server.ts'),
    prelude('readmePrelude.ts') + readme.replace('.listen(3000)', ".listen(Number(process.env['PORT']))"),
  );
  writeFileSync(
    join(dir, 'hono-example.ts'),
    prelude('honoPrelude.ts') + snippet('packages/server/docs/hono.md', '// app.ts:'),
  );
  cpSync(join(here, 'server', 'honoCheck.ts'), join(dir, 'hono-check.ts'));
  const config = {
    compilerOptions: {
      target: 'es2023',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      lib: ['ES2023'],
      types: ['node'],
      strict: true,
      skipLibCheck: true,
    },
    files: ['readme-server.ts', 'hono-example.ts', 'hono-check.ts'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config, null, 2));
  step('tsc: the server examples to JavaScript', () =>
    run(join(appDir, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], dir),
  );
  const port = await freePort();
  return {
    port,
    readme: startExample('readme-server.js', dir, { PORT: String(port) }),
    hono: startExample('hono-check.js', dir),
  };
}

/** A loopback port free now. */
function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });
}

/**
 * Asks the README's server over real HTTP: one key twice → the handler ran once and the second
 * answer is the stored one, replayed; the key with another body → 422; no key → 400; a batch with
 * that key and a new one → the first replayed, the second run. Then waits for the Hono check.
 */
export async function checkServerExamples(examples: { port: number; readme: Example; hono: Example }): Promise<void> {
  const { port, readme, hono } = examples;
  const base = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  const fail = (why: string): never => {
    throw new Error(`${why}\n--- README example's output:\n${readme.output()}`);
  };
  try {
    // Up once it listens, which it does after `await store.ready()`.
    for (;;) {
      const up = await fetch(`${base}/api/runs`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (readme.child.exitCode !== null) fail(`the README example exited with ${readme.child.exitCode}`);
      if (Date.now() - t0 > 120_000) fail('the README example did not listen within 120 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const runs = async (): Promise<number> =>
      ((await (await fetch(`${base}/api/runs`)).json()) as { runs: number }).runs;
    const post = (path: string, key: string | null, body: unknown): Promise<Response> =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          'x-user': 'alice',
          'content-type': 'application/json',
          ...(key !== null && { 'idempotency-key': key }),
        },
        body: JSON.stringify(body),
      });
    const problemOf = async (res: Response): Promise<string> =>
      `${res.status} ${res.headers.get('content-type')} ${((await res.json()) as { code?: string }).code}`;
    const first = await post('/api/messages', 'k1', { text: 'hi' });
    const firstBody = await first.text();
    if (first.status !== 201 || first.headers.get('idempotent-replayed') !== null)
      fail(`first POST: ${first.status} ${firstBody}`);
    const second = await post('/api/messages', 'k1', { text: 'hi' });
    const secondBody = await second.text();
    if (second.status !== 201 || second.headers.get('idempotent-replayed') !== 'true' || secondBody !== firstBody)
      fail(
        `the same POST again: ${second.status}, Idempotent-Replayed ${second.headers.get('idempotent-replayed')}, ${secondBody} (first: ${firstBody})`,
      );
    if ((await runs()) !== 1) fail(`the handler ran ${await runs()} times for one key`);
    const reused = await problemOf(await post('/api/messages', 'k1', { text: 'changed' }));
    if (reused !== '422 application/problem+json idempotency-key-reused') fail(`the key with another body: ${reused}`);
    const missing = await problemOf(await post('/api/messages', null, { text: 'no key' }));
    if (missing !== '400 application/problem+json idempotency-key-missing') fail(`a POST without a key: ${missing}`);
    const batch = await post('/api/batch', null, {
      ops: [
        { target: '/api/messages', method: 'POST', idempotencyKey: 'k1', payload: { text: 'hi' } },
        { target: '/api/messages', method: 'POST', idempotencyKey: 'k2', payload: { text: 'two' } },
      ],
    });
    const results = JSON.stringify(await batch.json());
    // Each success carries its body: k1's is the stored answer of run 1 (a replay), k2's is new.
    const expected = `{"results":[{"status":201,"body":${firstBody}},{"status":201,"body":{"run":2,"got":{"text":"two"}}}]}`;
    if (results !== expected || (await runs()) !== 2)
      fail(`the batch: ${results} (expected ${expected}), handler runs ${await runs()}`);
    const code = await hono.exited;
    if (code !== 0 || !hono.output().includes('hono example: ok'))
      throw new Error(`docs/hono.md's example failed (exit ${code}):\n${hono.output()}`);
  } finally {
    readme.child.kill();
    hono.child.kill();
  }
}

/**
 * tsc over a Node program, failing on every error but those inside PGlite's own declarations:
 * @electric-sql/pglite 0.5.17's .d.ts need lib DOM (`WebAssembly`, `IDBDatabase`) and the
 * Emscripten types, which it does not depend on, so a Node program (no DOM) that imports PGlite
 * fails on them with skipLibCheck off. Ferry's declarations and the snippets are still checked whole.
 */
function tscBesidesPglite(configFile: string, cwd: string): string {
  try {
    return run(join(appDir, 'node_modules', '.bin', 'tsc'), ['-p', configFile], cwd);
  } catch (err) {
    const out = (err as { stdout?: string }).stdout ?? '';
    // One error per line that is not indented (the indented lines below it elaborate it).
    const errors = out.split(/\n(?=\S)/).filter((e) => e.trim() !== '');
    const ours = errors.filter((e) => !e.startsWith('../node_modules/@electric-sql/pglite/dist/'));
    if (ours.length > 0 || errors.length === 0) throw err;
    return `${errors.length} errors in PGlite's own declarations, none elsewhere`;
  }
}

/** `npm install @ferry/client` alone (with core, its dependency) must not bring @ferry/sw, @ferry/idb or idb. */
export function pageOnlyInstall(tarballs: Record<string, string>): void {
  const dir = join(work, 'page-only');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'page-only', private: true, type: 'module' }));
  step('npm install @ferry/client alone', () =>
    run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        tarballs['core'] as string,
        tarballs['client'] as string,
      ],
      dir,
    ),
  );
  for (const pulled of ['@ferry/sw', '@ferry/idb', 'idb']) {
    if (existsSync(join(dir, 'node_modules', pulled))) throw new Error(`installing @ferry/client pulled ${pulled}`);
  }
  step('node: import @ferry/client in the page-only install', () =>
    run('node', ['--input-type=module', '-e', "await import('@ferry/client')"], dir),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  mkdirSync(work, { recursive: true });
  const tarballs = pack();
  const sizes = checkContents(tarballs);
  for (const [p, s] of Object.entries(sizes)) console.log(`consumer: ${p} tarball ${s.bytes} B, ${s.files} files`);
  lintPackages(tarballs);
  makeApp(tarballs);
  const examples = await startServerExamples();
  const booted = Date.now();
  importEntries();
  typecheckEntries();
  const waited = Date.now();
  await checkServerExamples(examples);
  console.log(
    `consumer: @ferry/server's README example over HTTP and the Hono example (${((Date.now() - booted) / 1000).toFixed(1)} s since they started, ${((Date.now() - waited) / 1000).toFixed(1)} s of it waited for)`,
  );
  pageOnlyInstall(tarballs);
  followTestingGuide(root, appDir, await freePort(), (line) => console.log(`consumer: ${line}`));
  console.log(`consumer: all checks passed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
