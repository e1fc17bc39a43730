/**
 * The site's API reference: TypeDoc with typedoc-plugin-markdown over the TSDoc of every public
 * entry of every package (scripts/lib/entries.ts), one Markdown page per entry in `docs/api/`
 * (git-ignored, written anew on every run). Its anchors are GitHub's, as are the guides' (docs/.vitepress/site.ts).
 *
 * Each entry is documented through a two-line module of its own that names it (`@module
 * @ferry/core/protocol`) and re-exports its source, so that pages are titled by the import path an
 * app writes. TypeDoc reads the sources with the TypeScript that docs/package.json pins for it.
 *
 *     tsx scripts/docs/reference.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entries, fileStem } from '../lib/entries.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const docs = join(root, 'docs');
const work = join(docs, '.vitepress', '.reference');
export const referenceDir = join(docs, 'api');

/** Writes the reference into docs/api; returns how many entries it documents. */
export function buildReference(): number {
  rmSync(work, { recursive: true, force: true });
  rmSync(referenceDir, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const documented = entries(root).filter((e) => !e.internal);
  const files: string[] = [];
  for (const e of documented) {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', e.dir, 'package.json'), 'utf8')) as {
      description?: string;
    };
    const file = join(work, `${fileStem(e)}.ts`);
    const summary = e.sub ? `\`${e.name}\`.` : (pkg.description ?? e.name);
    writeFileSync(
      file,
      `/**\n * ${summary}\n *\n * @module ${e.name}\n */\nexport * from '${relative(work, join(root, e.source))}';\n`,
    );
    files.push(file);
  }
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022', 'DOM', 'WebWorker'],
      module: 'ESNext',
      moduleResolution: 'bundler',
      allowImportingTsExtensions: true,
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      jsx: 'react-jsx',
      types: [],
    },
    files,
  };
  writeFileSync(join(work, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const options = {
    entryPoints: files,
    tsconfig: join(work, 'tsconfig.json'),
    out: referenceDir,
    plugin: ['typedoc-plugin-markdown'],
    name: 'API reference',
    readme: 'none',
    // The sources type-check in the workspace's own TypeScript; this one only reads them.
    skipErrorChecking: true,
    disableSources: true,
    excludePrivate: true,
    excludeInternal: true,
    outputFileStrategy: 'modules',
    entryFileName: 'index',
    hidePageHeader: true,
    hideBreadcrumbs: true,
    useCodeBlocks: true,
    parametersFormat: 'table',
    interfacePropertiesFormat: 'table',
    classPropertiesFormat: 'table',
    typeDeclarationFormat: 'table',
    logLevel: 'Warn',
    // A TSDoc link TypeDoc cannot resolve (to a symbol of no public entry) fails the build.
    treatWarningsAsErrors: true,
  };
  writeFileSync(join(work, 'typedoc.json'), JSON.stringify(options, null, 2));
  execFileSync(join(docs, 'node_modules', '.bin', 'typedoc'), ['--options', join(work, 'typedoc.json')], {
    cwd: docs,
    stdio: 'inherit',
  });
  return documented.length;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  const n = buildReference();
  console.log(`reference: ${n} entries into docs/api (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
