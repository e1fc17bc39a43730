/**
 * The "Test your offline path" guide (docs/testing.md), followed in the consumer app: its API (`api.mjs`), its
 * Playwright config and its chaos test, taken from the guide as written, run with `@ferry/testing` and
 * `@playwright/test` installed from the tarball and the registry. The test must pass; then, with the API's
 * deduplication broken, it must fail and name the message applied twice.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumLaunch } from '../../chromium.config.ts';

const GUIDE = 'docs/testing.md';
/** The line that makes the guide's API answer a resent key with its first answer. */
const DEDUP_LINE = 'const kept = answers.get(key);';

/** The fenced block of `guide` (```js or ```ts) whose first line starts with `marker`, as written. */
function block(guide: string, marker: string): string {
  const found = [...guide.matchAll(/```(?:js|ts)\n([\s\S]*?)```/g)]
    .map((m) => m[1] ?? '')
    .find((b) => b.startsWith(marker));
  if (!found) throw new Error(`${GUIDE} has no js or ts block starting with ${marker}`);
  return found;
}

/** Runs the guide's test in `appDir`; its exit status and output. */
function runGuideTest(appDir: string, port: number, seed: string): { status: number | null; output: string } {
  const run = spawnSync('npx', ['playwright', 'test', '--config', 'playwright.consumer.config.ts', '--reporter=line'], {
    cwd: appDir,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, CI: 'true', API_PORT: String(port), FERRY_SEED: seed },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/**
 * Sets the guide's files up in the built consumer app (`dist-v1` served as the API's `dist`), runs its test, breaks
 * the deduplication and runs it again. Throws with the test's output when either run does not end as it must.
 */
export function followTestingGuide(root: string, appDir: string, port: number, log: (line: string) => void): void {
  const guide = readFileSync(join(root, GUIDE), 'utf8');
  const api = block(guide, '// api.mjs');
  if (!api.includes(DEDUP_LINE)) throw new Error(`${GUIDE}'s API no longer has the line ${DEDUP_LINE}`);
  if (!existsSync(join(appDir, 'dist'))) cpSync(join(appDir, 'dist-v1'), join(appDir, 'dist'), { recursive: true });
  mkdirSync(join(appDir, 'tests'), { recursive: true });
  writeFileSync(join(appDir, 'api.mjs'), api);
  writeFileSync(join(appDir, 'playwright.config.ts'), block(guide, '// playwright.config.ts'));
  writeFileSync(join(appDir, 'tests', 'offline.spec.ts'), block(guide, '// tests/offline.spec.ts'));
  // The guide's config as written, with the browser this machine has instead of Playwright's download.
  writeFileSync(
    join(appDir, 'playwright.consumer.config.ts'),
    `import base from './playwright.config.ts';\n` +
      `export default { ...base, use: { ...base.use, launchOptions: ${JSON.stringify(chromiumLaunch)} } };\n`,
  );
  const seed = String(Math.floor(Math.random() * 2 ** 32));

  let t0 = Date.now();
  const passing = runGuideTest(appDir, port, seed);
  if (passing.status !== 0) throw new Error(`the guide's chaos test failed (FERRY_SEED=${seed}):\n${passing.output}`);
  log(`the testing guide's chaos test passed against its Express API (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  writeFileSync(join(appDir, 'api.mjs'), api.replace(DEDUP_LINE, 'const kept = undefined;'));
  t0 = Date.now();
  const broken = runGuideTest(appDir, port, seed);
  writeFileSync(join(appDir, 'api.mjs'), api);
  if (broken.status === 0 || !/applied twice: \S+ took effect 2 times/.test(broken.output))
    throw new Error(
      `with the API's deduplication broken, the guide's test did not report a key applied twice:\n${broken.output}`,
    );
  log(`with deduplication broken it failed, naming the op applied twice (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
