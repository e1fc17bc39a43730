/**
 * Every TypeScript code block (```ts, ```tsx), Vue component (```vue, checked by vue-tsc) and Svelte component
 * (```svelte, checked by svelte-check) of the docs (`docs/**\/*.md`), the README, the package
 * READMEs and the packages' docs compiles as written against the packed packages: each block is a
 * module of its own in the consumer app (e2e/consumer/consumer.ts), which installed the tarballs with
 * npm, and the app's own `tsc` checks it with `strict`, in the program its code runs in:
 *
 * - a worker's (lib WebWorker) when it declares `ServiceWorkerGlobalScope`, or imports @ferry/sw,
 *   @ferry/workbox or Workbox's modules;
 * - a Node program's (@types/node) when it imports `node:*`, a server package, @ferry/server, Vite or
 *   Vitest;
 * - a browser test's (@types/node and lib DOM, for the code it evaluates in the page) when it imports
 *   Playwright or @ferry/testing;
 * - a page's (lib DOM) otherwise.
 *
 * What a snippet leaves to the app (`sessionUser(req)`, `token()`) is declared once, as an app would
 * define it, in e2e/consumer/check/server-env.d.ts and scripts/docs/snippetEnv.d.ts. A block that is
 * not meant to compile alone (a fragment of the one above it) is marked on the line before it with
 * `<!-- snippet: fragment (why) -->`; the marking is rare and says why.
 *
 *     tsx scripts/docs/snippets.ts    # after `pnpm consumer`, or it packs and installs first (~2 min)
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appDir, makeApp, pack } from '../../e2e/consumer/consumer.ts';
import { readmes } from './anchors.ts';
import { root } from '../../docs/.vitepress/site.ts';

type Env = 'page' | 'worker' | 'node' | 'test' | 'vue' | 'svelte';
export interface Snippet {
  doc: string;
  /** The line of the block's first code line in `doc`, from 1. */
  line: number;
  lang: 'ts' | 'tsx' | 'vue' | 'svelte';
  code: string;
}

const FRAGMENT = /^<!--\s*snippet:\s*fragment\b[^>]*-->$/;

/** The documents whose snippets must compile, relative to the root. */
export function documents(): string[] {
  const docs = join(root, 'docs');
  const pages = readdirSync(docs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .filter((f) => !/^docs\/(api|node_modules|\.vitepress)\//.test(f));
  const packageDocs = readdirSync(join(root, 'packages')).flatMap((p) => {
    const dir = join(root, 'packages', p, 'docs');
    return existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.md'))
          .map((f) => join('packages', p, 'docs', f))
      : [];
  });
  return [...pages.sort(), ...readmes(), ...packageDocs.sort()];
}

/** The ts, tsx, vue and svelte blocks of a Markdown text, less those marked as fragments. */
export function snippetsOf(doc: string, text: string): Snippet[] {
  const lines = text.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|tsx|typescript|vue|svelte)\b.*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', fence = '', lang = ''] = open;
    let end = i + 1;
    while (end < lines.length && !(lines[end] ?? '').trim().startsWith(fence)) end++;
    let before = i - 1;
    while (before >= 0 && (lines[before] ?? '').trim() === '') before--;
    const marked = FRAGMENT.test((lines[before] ?? '').trim());
    if (!marked) {
      const code = lines
        .slice(i + 1, end)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
        .join('\n');
      out.push({ doc, line: i + 2, lang: lang === 'typescript' ? 'ts' : (lang as Snippet['lang']), code });
    }
    i = end;
  }
  return out;
}

/** Which program a snippet's code runs in. */
export function envOf(code: string, lang: Snippet['lang'] = 'ts'): Env {
  if (lang === 'vue' || lang === 'svelte') return lang;
  const from = [...code.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
  if (/ServiceWorkerGlobalScope|lib="webworker"|importScripts\(/.test(code)) return 'worker';
  if (from.some((m) => /^(@ferry\/(sw|workbox)|workbox-(core|precaching|routing|strategies))(\/|$)/.test(m)))
    return 'worker';
  if (from.some((m) => /^(@playwright\/test|playwright|@ferry\/testing)(\/|$)/.test(m))) return 'test';
  if (from.some((m) => /^(node:|@ferry\/server|express$|hono|pg$|@electric-sql|vite$|vite-plugin-pwa$|vitest)/.test(m)))
    return 'node';
  return 'page';
}

const COMPILER_OPTIONS = {
  target: 'es2023',
  module: 'esnext',
  moduleResolution: 'bundler',
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  verbatimModuleSyntax: true,
  noUncheckedIndexedAccess: true,
  jsx: 'react-jsx',
};
const LIBS: Record<Env, { lib: string[]; types: string[] }> = {
  page: { lib: ['ES2023', 'DOM', 'DOM.Iterable'], types: ['vite/client', 'vite-plugin-pwa/client'] },
  worker: { lib: ['ES2023', 'WebWorker'], types: [] },
  node: { lib: ['ES2023'], types: ['node'] },
  test: { lib: ['ES2023', 'DOM', 'DOM.Iterable'], types: ['node'] },
  vue: { lib: ['ES2023', 'DOM', 'DOM.Iterable'], types: ['vite/client'] },
  svelte: { lib: ['ES2023', 'DOM', 'DOM.Iterable'], types: ['vite/client'] },
};

/**
 * The module the Svelte components import as `$lib/ferry` (SvelteKit's alias) or `./ferry`: the one docs/svelte.md
 * and the @ferry/svelte README make, written beside them.
 */
const SVELTE_FERRY = `import { createFerryClient } from '@ferry/client';
import { createFerryStatus } from '@ferry/client/status';
import { ferryStatus } from '@ferry/svelte';

export const ferry = createFerryClient();
export const status = ferryStatus(createFerryStatus(ferry));
`;

/** Writes each snippet into the app and type-checks them; returns the errors, mapped to the docs' lines. */
export function checkSnippets(snippets: Snippet[]): string[] {
  const dir = join(appDir, 'snippets');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, 'e2e', 'consumer', 'check', 'server-env.d.ts'), join(dir, 'server-env.d.ts'));
  cpSync(join(root, 'scripts', 'docs', 'snippetEnv.d.ts'), join(dir, 'app-env.d.ts'));
  const where = new Map<string, Snippet>();
  const files: Record<Env, string[]> = { page: [], worker: [], node: [], test: [], vue: [], svelte: [] };
  for (const s of snippets) {
    const env = envOf(s.code, s.lang);
    const name = `${env}/${s.doc.replace(/[/.]/g, '_')}_${s.line}.${s.lang}`;
    mkdirSync(join(dir, env), { recursive: true });
    // `export {}` makes every block a module, so that blocks never share top-level names (a component is one).
    writeFileSync(join(dir, name), s.lang === 'vue' || s.lang === 'svelte' ? `${s.code}\n` : `${s.code}\nexport {};\n`);
    where.set(name, s);
    files[env].push(name);
  }
  const errors: string[] = [];
  for (const env of ['page', 'worker', 'node', 'test', 'vue'] as const) {
    if (!files[env].length) continue;
    const config = {
      compilerOptions: { ...COMPILER_OPTIONS, ...LIBS[env] },
      files: [env === 'node' ? 'server-env.d.ts' : 'app-env.d.ts', ...files[env]],
    };
    writeFileSync(join(dir, `tsconfig.${env}.json`), JSON.stringify(config, null, 2));
    try {
      const bin =
        env === 'vue'
          ? join(appDir, 'vue-check', 'node_modules', '.bin', 'vue-tsc')
          : join(appDir, 'node_modules', '.bin', 'tsc');
      execFileSync(bin, ['-p', `tsconfig.${env}.json`], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      const { stdout, stderr } = err as { stdout?: string; stderr?: string };
      // A checker that failed without a diagnostic (it could not start) is an error too.
      const out = stdout?.trim() ? stdout : `${env}: the checker failed: ${stderr?.trim() || String(err)}`;
      for (const e of out.split(/\n(?=\S)/).filter((x) => x.trim())) {
        const m = /^([^(]+)\((\d+),(\d+)\): (.*)$/s.exec(e);
        const s = m && where.get(m[1] ?? '');
        errors.push(s && m ? `${s.doc}:${s.line + Number(m[2]) - 1}: ${(m[4] ?? '').trim()} (${env})` : e);
      }
    }
  }
  if (files.svelte.length) errors.push(...checkSvelte(dir, files.svelte, where));
  return errors;
}

/**
 * svelte-check over the Svelte components (every `.svelte` file under `svelte/`), with `$lib/ferry` and `./ferry`
 * the module of {@link SVELTE_FERRY}; its machine output's lines are mapped to the docs' lines.
 */
function checkSvelte(dir: string, files: string[], where: Map<string, Snippet>): string[] {
  writeFileSync(join(dir, 'svelte', 'ferry.ts'), SVELTE_FERRY);
  // Its own (empty) Svelte config: without one, svelte-check looks for the Svelte plugin in the app's vite.config.ts.
  writeFileSync(join(dir, 'svelte', 'svelte.config.js'), 'export default {};\n');
  // svelte-check checks what the tsconfig includes, and nothing else.
  const config = {
    compilerOptions: { ...COMPILER_OPTIONS, ...LIBS.svelte, paths: { '$lib/ferry': ['./ferry.ts'] } },
    files: ['../app-env.d.ts'],
    include: ['*.svelte', 'ferry.ts'],
  };
  writeFileSync(join(dir, 'svelte', 'tsconfig.json'), JSON.stringify(config, null, 2));
  const bin = join(appDir, 'vue-check', 'node_modules', '.bin', 'svelte-check');
  let out: string;
  try {
    out = execFileSync(bin, ['--workspace', '.', '--tsconfig', './tsconfig.json', '--output', 'machine'], {
      cwd: join(dir, 'svelte'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    if (!stdout?.includes(' ERROR ')) return [`svelte: the checker failed: ${stderr?.trim() || String(err)}`];
    out = stdout;
  }
  const errors: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^\d+ ERROR "([^"]+)" (\d+):\d+ "(.*)"$/.exec(line);
    if (!m) continue;
    const s = where.get(`svelte/${m[1] ?? ''}`);
    errors.push(s ? `${s.doc}:${s.line + Number(m[2]) - 1}: ${m[3] ?? ''} (svelte)` : `svelte: ${line}`);
  }
  // A checker that saw fewer files than it was given checked nothing of the others.
  const seen = Number(/ COMPLETED (\d+) FILES/.exec(out)?.[1] ?? 0);
  if (seen < files.length) errors.push(`svelte: svelte-check saw ${seen} files of ${files.length}`);
  return errors;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  if (!existsSync(join(appDir, '.ready'))) makeApp(pack());
  const snippets = documents().flatMap((doc) => snippetsOf(doc, readFileSync(join(root, doc), 'utf8')));
  const errors = checkSnippets(snippets);
  for (const e of errors) console.error(`snippets: ${e}`);
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (errors.length) {
    console.error(`snippets: ${errors.length} errors in ${snippets.length} snippets (${secs} s)`);
    process.exit(1);
  }
  console.log(
    `snippets: ${snippets.length} TypeScript, Vue and Svelte snippets compile against the packed packages (${secs} s)`,
  );
}
