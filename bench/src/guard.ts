/**
 * `pnpm bench:guard`: the regression guard for the enqueue and the drain. It
 * checks out the baseline (bench/baseline.json's `ref`, the last release; or
 * `--ref REF`) into a temporary directory, installs its packages, and runs
 * its Ferry worker beside this working tree's, in one browser and one run:
 * the baseline twice (two origins, the same build: what the noise alone
 * does) and this tree once. Every round, the sides take turns in a rotating
 * order, each turn timing one-at-a-time enqueues, a burst, and the drain of
 * that burst over 16 lanes against the 20 ms API; a round's figures are each
 * side's over its turns. It exits 1 when a figure regressed by
 * src/guardRule.ts's rule: worse than both copies of the baseline in every
 * round, and by more than 5 % in the median. CI runs it (.github/workflows/bench-guard.yml).
 *
 *     pnpm bench:guard [--ref REF] [--rounds N] [--n OPS]
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import type { Page } from 'playwright';
import { chromiumLaunch } from '../../chromium.config.ts';
import { removeProfile } from '../../tools/launchChromium.ts';
import { buildTree } from './abTrees.ts';
import { guardVerdict } from './guardRule.ts';
import type { GuardFigure } from './guardRule.ts';
import { startBenchServer } from './server.ts';
import type { BenchServer } from './server.ts';
import { median, round } from './stats.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const baseline = JSON.parse(await readFile(join(here, '../baseline.json'), 'utf8')) as { ref: string };
const ref = flag('--ref') ?? baseline.ref;
const rounds = Number(flag('--rounds') ?? 5);
const n = Number(flag('--n') ?? 1000);
const latencyN = 200;
const lanes = 16;
/** Turns per side in a round: each times latencyN / CHUNKS enqueues, then bursts and drains n / CHUNKS ops. */
const CHUNKS = 5;
if (!(rounds >= 3) || !(n >= 16 * CHUNKS) || n % CHUNKS)
  throw new Error(`bench:guard: --rounds must be ≥ 3, --n a multiple of ${CHUNKS} and ≥ ${16 * CHUNKS}`);

/** The baseline's files (git archive: no worktree left behind) with its packages installed. */
async function checkout(): Promise<string> {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: root })
    .toString()
    .trim();
  const dir = await mkdtemp(join(tmpdir(), 'ferry-guard-'));
  const tree = join(dir, `baseline-${sha.slice(0, 8)}`);
  execFileSync('mkdir', [tree]);
  execFileSync('sh', ['-c', `git archive ${sha} | tar -x -C ${JSON.stringify(tree)}`], { cwd: root });
  console.log(`bench:guard: baseline ${ref} (${sha.slice(0, 12)}) in ${tree}, installing its packages`);
  execFileSync('pnpm', ['install', '--frozen-lockfile', '--prefer-offline', '--reporter=silent'], {
    cwd: tree,
    stdio: 'inherit',
  });
  return tree;
}

interface Side {
  name: 'baseline' | 'baseline copy' | 'this tree';
  server: BenchServer;
  page?: Page;
  latencyMs: number[];
  burstOps: number[];
  drainOps: number[];
}

const baselineTree = await checkout();
const sides: Side[] = [];
const dists: string[] = [];
try {
  const aDist = await buildTree(baselineTree);
  dists.push(aDist);
  const bDist = await buildTree(root);
  dists.push(bDist);
  const side = async (name: Side['name'], dist: string): Promise<Side> => ({
    name,
    server: await startBenchServer(dist, ['ferry']),
    latencyMs: [],
    burstOps: [],
    drainOps: [],
  });
  sides.push(await side('baseline', aDist), await side('baseline copy', aDist), await side('this tree', bDist));
  const profile = await mkdtemp(join(tmpdir(), 'ferry-guard-profile-'));
  const context = await chromium.launchPersistentContext(profile, { ...chromiumLaunch, headless: true });
  try {
    for (const s of sides) {
      const page = await context.newPage();
      page.on('pageerror', (e) => console.error(`[${s.name} page error]`, e));
      await page.goto(`${s.server.origins.ferry}/sw.html?side=ferry`);
      await page.waitForFunction(() => document.title === 'ready');
      await page.evaluate(() => window.swBench.ready());
      s.page = page;
    }
    for (let r = 0; r < rounds; r++) {
      // A round is CHUNKS short turns per side, in a rotating order, so that the sides
      // run seconds apart and a change of load on the machine hits them alike.
      const t = sides.map(() => ({ latency: [] as number[], burstMs: 0, drainMs: 0 }));
      for (let c = 0; c < CHUNKS; c++) {
        for (let k = 0; k < sides.length; k++) {
          const i = (k + r * CHUNKS + c) % sides.length;
          const s = sides[i] as Side;
          const page = s.page as Page;
          const mine = t[i] as (typeof t)[number];
          s.server.delayMs = 0;
          mine.latency.push(...(await page.evaluate((m) => window.swBench.latency(m), latencyN / CHUNKS)));
          await page.evaluate(() => window.swBench.drain()); // the latency ops, untimed
          mine.burstMs += await page.evaluate(([m, l]) => window.swBench.burst(m, l), [n / CHUNKS, lanes] as const);
          s.server.resetLog('ferry');
          s.server.delayMs = 20;
          mine.drainMs += await page.evaluate(() => window.swBench.drain());
          const seen = s.server.log('ferry').count;
          if (seen < n / CHUNKS) throw new Error(`${s.name}: the server saw ${seen} of ${n / CHUNKS}`);
        }
      }
      sides.forEach((s, i) => {
        const mine = t[i] as (typeof t)[number];
        s.latencyMs.push(median(mine.latency));
        s.burstOps.push(n / (mine.burstMs / 1000));
        s.drainOps.push(n / (mine.drainMs / 1000));
      });
      const fig = (s: Side): string =>
        `${round(s.latencyMs[r] as number, 2)} ms, ${round(s.burstOps[r] as number, 0)}/${round(s.drainOps[r] as number, 0)} ops/s`;
      console.log(`round ${r + 1}/${rounds}: ${sides.map((s) => `${s.name} ${fig(s)}`).join(' · ')}`);
    }
  } finally {
    await context.close();
    await removeProfile(profile);
  }
} finally {
  for (const s of sides) await s.server.close();
  for (const dir of [dirname(baselineTree), ...dists]) await rm(dir, { recursive: true, force: true });
}

const [a, a2, b] = sides as [Side, Side, Side];
const figures: GuardFigure[] = [
  { name: 'enqueue latency (ms)', better: 'lower', a: a.latencyMs, a2: a2.latencyMs, b: b.latencyMs },
  { name: `burst of ${n} (ops/s)`, better: 'higher', a: a.burstOps, a2: a2.burstOps, b: b.burstOps },
  { name: `drain ${n} / ${lanes} lanes (ops/s)`, better: 'higher', a: a.drainOps, a2: a2.drainOps, b: b.drainOps },
];
const list = (xs: number[]): string => xs.map((x) => round(x, 2)).join(', ');
console.log(`\nbench:guard: this tree against ${ref}, ${rounds} rounds (loss: this tree ÷ baseline, 1.2 = 20 % worse)`);
let failed = false;
for (const f of figures) {
  const v = guardVerdict(f);
  failed ||= v.regressed;
  console.log(
    `  ${v.regressed ? 'REGRESSED' : 'ok       '} ${f.name.padEnd(30)} loss [${list(v.loss)}] · copy of the baseline [${list(v.noise)}] · against the worse copy [${list(v.margin)}]`,
  );
}
if (failed) {
  console.error('\nbench:guard: worse than both copies of the baseline in every round');
  process.exit(1);
}
console.log('\nbench:guard: no consistent loss');
