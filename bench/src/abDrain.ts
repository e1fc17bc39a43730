/**
 * A/B of the 16-lane drain across source trees, in one browser and one run:
 * each tree (a git worktree of this repo at some commit, packages installed)
 * builds its own bench pages and Ferry worker, served on its own origin; the
 * floor (raw fetch, from this tree) runs beside them. Every round queues a
 * burst on each side and drains it against the 20 ms API, in a rotating
 * order, so load on a shared machine hits every side alike. Reports, per
 * tree, Ferry's ops/s ÷ the floor's ops/s of the same round, and the medians.
 *
 *     pnpm exec tsx src/abDrain.ts --rounds 7 /work/wt-old /work/wt-new
 *
 * `--batch`: the one-lane drain in batch mode, against workbox's replay of the same lane.
 * `--latency`: enqueue latency (page → worker → committed, one op at a time) against the floor
 * (a postMessage round trip and one put); lower is better.
 * `--trace`: the Ferry workers time each transaction and send; printed per tree after the rounds.
 * `--profile`: a CPU profile of each Ferry worker over its first round, in bench/results/profiles/ab-<tree>.cpuprofile.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { chromium } from 'playwright';
import type { Page } from 'playwright';
import { chromiumLaunch } from '../../chromium.config.ts';
import { removeProfile } from '../../tools/launchChromium.ts';
import { buildBench } from './build.ts';
import { workerProfiler } from './profile.ts';
import { attachToWorker } from './workerCdp.ts';
import { abArgs, buildTree } from './abTrees.ts';
import { startBenchServer } from './server.ts';
import type { BenchServer } from './server.ts';
import { median, round } from './stats.ts';

const mode = { batch: false, latency: false, trace: false, profile: false };
for (const name of Object.keys(mode) as (keyof typeof mode)[]) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) continue;
  mode[name] = true;
  process.argv.splice(i, 1);
}
const { rounds, n, trees } = abArgs('abDrain.ts', { rounds: 5, n: mode.latency ? 40 : 1000 });
const lanes = mode.batch ? 1 : 16;
/** What the Ferry sides are measured against. */
const other = mode.batch ? 'workbox' : 'floor';

interface Side {
  name: string;
  server: BenchServer;
  side: 'ferry' | 'floor' | 'workbox';
  page?: Page;
  rates: number[];
}

const sides: Side[] = [];
for (const tree of trees) {
  // Each tree's own build script and packages: its worker is its code.
  const dist = await buildTree(tree);
  sides.push({ name: basename(tree), server: await startBenchServer(dist, ['ferry']), side: 'ferry', rates: [] });
}
const floorDist = await mkdtemp(join(tmpdir(), `ferry-ab-${other}-`));
await buildBench(floorDist);
sides.push({ name: other, server: await startBenchServer(floorDist, [other]), side: other, rates: [] });

const profile = await mkdtemp(join(tmpdir(), 'ferry-ab-profile-'));
const context = await chromium.launchPersistentContext(profile, { ...chromiumLaunch, headless: true });
try {
  for (const s of sides) {
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[${s.name} page error]`, e));
    const flags = s.side === 'ferry' ? `${mode.batch ? '&batch' : ''}${mode.trace ? '&trace' : ''}` : '';
    await page.goto(`${s.server.origins[s.side]}/sw.html?side=${s.side}${flags}`);
    await page.waitForFunction(() => document.title === 'ready');
    await page.evaluate(() => window.swBench.ready());
    s.page = page;
  }
  for (let r = 0; r < rounds; r++) {
    const order = sides.map((_, i) => sides[(i + r) % sides.length] as Side);
    for (const s of order) {
      const page = s.page as Page;
      const stop =
        mode.profile && r === 0 && s.side === 'ferry'
          ? await workerProfiler(join(import.meta.dirname, '../results/profiles'))(
              `ab-${s.name}`,
              await attachToWorker(context, page, `${s.server.origins[s.side]}/sw-ferry.js`),
            )
          : undefined;
      if (mode.latency) {
        // Latency in ms: inverted below, so that every ratio reads "higher is better".
        const samples = await page.evaluate((k) => window.swBench.latency(k), n);
        s.rates.push(1000 / median(samples));
        await stop?.();
        continue;
      }
      s.server.delayMs = 0;
      await page.evaluate(([k, l]) => window.swBench.burst(k, l), [n, lanes] as const);
      s.server.resetLog(s.side);
      s.server.delayMs = 20;
      const ms = await page.evaluate(() => window.swBench.drain());
      const seen = s.server.log(s.side).count;
      if (seen < n) throw new Error(`${s.name}: the server saw ${seen} of ${n}`);
      s.rates.push(n / (ms / 1000));
      await stop?.();
    }
    const floor = sides.at(-1) as Side;
    const line = sides
      .slice(0, -1)
      .map((s) => `${s.name} ${round((s.rates[r] as number) / (floor.rates[r] as number))}`)
      .join('  ');
    console.log(`round ${r + 1}: ${other} ${round(floor.rates[r] as number, 2)}/s; ÷ ${other}: ${line}`);
  }
  const floor = sides.at(-1) as Side;
  console.log(
    `\nmedians over rounds (${mode.latency ? 'enqueues/s of latency, 1000 ÷ ms' : 'ops/s'}; ratio = median of per-round ratios, higher is better):`,
  );
  for (const s of sides) {
    const ratios = s.rates.map((v, i) => v / (floor.rates[i] as number));
    console.log(
      `  ${s.name.padEnd(12)} ${String(round(median(s.rates), 2)).padStart(5)}/s  ÷ ${other} ${round(median(ratios))}  [${ratios.map((x) => round(x)).join(', ')}]`,
    );
  }
  if (mode.trace)
    for (const s of sides.slice(0, -1))
      console.log(`[trace ${s.name}]`, JSON.stringify(await (s.page as Page).evaluate(() => window.swBench.trace())));
} finally {
  await context.close();
  for (const s of sides) await s.server.close();
  await removeProfile(profile);
}
