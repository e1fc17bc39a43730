/**
 * The API report: the public `.d.ts` surface of every entry of every package (scripts/lib/entries.ts,
 * internal entries included), as API Extractor writes it, checked in as `api/<package>.<entry>.api.md`.
 * `npm test` compares the built declarations with the checked-in reports and fails on any difference,
 * so a change to the surface is a reviewed diff. Reads `packages/*\/dist` (run `pnpm build` first;
 * `pnpm api:update` builds).
 *
 *     tsx scripts/apiReport.ts            # check: fails when a report is missing, stale or left over
 *     tsx scripts/apiReport.ts --update   # rewrite the reports
 *
 * One TypeScript program serves every entry (one `CompilerState`); `@ferry/*` imports resolve to the
 * built declarations, as in an app that installed the packages.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompilerState, Extractor, ExtractorConfig, ExtractorLogLevel } from '@microsoft/api-extractor';
import { entries, fileStem } from './lib/entries.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const reportDir = join(root, 'api');
const update = process.argv.includes('--update');

const all = entries(root);
const missingBuild = all.filter((e) => !existsSync(join(root, e.types)));
if (missingBuild.length) {
  console.error(`api: no built declarations for ${missingBuild.map((e) => e.name).join(', ')}: run pnpm build`);
  process.exit(1);
}
const tempDir = join(tmpdir(), `ferry-api-${process.pid}`);
mkdirSync(reportDir, { recursive: true });

const paths = Object.fromEntries(all.map((e) => [e.name, [join(root, e.types)]]));
const configOf = (e: (typeof all)[number]): ExtractorConfig =>
  ExtractorConfig.prepare({
    configObjectFullPath: join(root, 'packages', e.dir, 'api-extractor.json'), // not read: a base for relative paths
    packageJsonFullPath: join(root, 'packages', e.dir, 'package.json'),
    configObject: {
      projectFolder: join(root, 'packages', e.dir),
      mainEntryPointFilePath: join(root, e.types),
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            module: 'ESNext',
            moduleResolution: 'bundler',
            lib: ['ES2022', 'DOM', 'WebWorker'],
            strict: true,
            skipLibCheck: true,
            types: [],
            paths,
          },
          files: all.map((x) => join(root, x.types)),
        },
      },
      apiReport: {
        enabled: true,
        reportFileName: fileStem(e),
        reportFolder: reportDir,
        reportTempFolder: tempDir,
        includeForgottenExports: false,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        // The surface is what the report records; how its comments are written is the reference's job.
        tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
        // Not written into the reports: their file paths depend on where the repository is checked out.
        extractorMessageReporting: { default: { logLevel: ExtractorLogLevel.None, addToApiReportFile: false } },
        compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Error } },
      },
    },
  });

/** `diff -u` of the checked-in report and the one just written, at most 60 lines. */
function diff(checkedIn: string, now: string): string {
  const r = spawnSync('diff', ['-u', existsSync(checkedIn) ? checkedIn : '/dev/null', now], { encoding: 'utf8' });
  const lines = r.stdout.split('\n');
  return lines.length > 60 ? [...lines.slice(0, 60), `… ${lines.length - 60} more lines`].join('\n') : r.stdout;
}

const t0 = Date.now();
const configs = all.map((e) => ({ entry: e, config: configOf(e) }));
const first = configs[0];
if (!first) throw new Error('api: no entries found under packages/');
const compilerState = CompilerState.create(first.config, {
  additionalEntryPoints: all.map((e) => join(root, e.types)),
});
const stale: string[] = [];
let failed = 0;
for (const { entry, config } of configs) {
  const result = Extractor.invoke(config, {
    localBuild: update,
    compilerState,
    messageCallback: (m) => {
      if (m.logLevel === ExtractorLogLevel.Error) console.error(`api: ${entry.name}: ${m.text}`);
      m.handled = true;
    },
  });
  if (result.errorCount > 0) failed++;
  if (!result.apiReportChanged) continue;
  stale.push(`api/${fileStem(entry)}.api.md`);
  if (!update)
    console.error(diff(join(reportDir, `${fileStem(entry)}.api.md`), join(tempDir, `${fileStem(entry)}.api.md`)));
}
// A report whose entry is gone is stale too.
const expected = new Set(all.map((e) => `${fileStem(e)}.api.md`));
for (const file of readdirSync(reportDir)) {
  if (!file.endsWith('.api.md') || expected.has(file)) continue;
  if (update) rmSync(join(reportDir, file));
  else stale.push(`api/${file} (no such entry)`);
}
rmSync(tempDir, { recursive: true, force: true });
const secs = ((Date.now() - t0) / 1000).toFixed(1);
if (failed) {
  console.error(`api: API Extractor failed on ${failed} entr${failed === 1 ? 'y' : 'ies'}`);
  process.exit(1);
}
if (update) {
  console.log(`api: ${all.length} reports written to api/ (${stale.length} changed, ${secs} s)`);
} else if (stale.length) {
  console.error(`api: the public surface differs from the checked-in report:\n  ${stale.join('\n  ')}`);
  console.error('api: if the change is meant, run `pnpm api:update`, commit api/, and say why in a changeset');
  process.exit(1);
} else {
  console.log(`api: ${all.length} entries match their reports in api/ (${secs} s)`);
}
