/**
 * A/B of the storage burst (1000 concurrent enqueues on Ferry's Outbox over
 * IdbStore, against 1000 puts in one transaction) across source trees, in
 * one browser and one run: each tree (a git worktree of this repo, packages
 * installed) builds its own bench page, served on its own origin; every
 * round runs each tree's burst in a rotating order, each against the floor
 * measured in the same page right after it, so load on a shared machine
 * hits every side alike. Reports, per tree, the per-round ratios and their
 * median. The same for one-at-a-time enqueue latency.
 *
 *     pnpm exec tsx src/abStorage.ts --rounds 8 /work/wt-old /work/wt-new
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { chromium } from 'playwright';
import type { Page } from 'playwright';
import { chromiumLaunch } from '../../chromium.config.ts';
import { removeProfile } from '../../tools/launchChromium.ts';
import { abArgs, buildTree } from './abTrees.ts';
import { startBenchServer } from './server.ts';
import type { BenchServer } from './server.ts';
import { median, round } from './stats.ts';

const { rounds, n, trees } = abArgs('abStorage.ts', { rounds: 6, n: 1000 });

interface Side {
  name: string;
  server: BenchServer;
  page?: Page;
  burst: number[];
  latency: number[];
}

const sides: Side[] = [];
for (const tree of trees) {
  // Each tree's own build script and packages: its worker is its code.
  const dist = await buildTree(tree);
  sides.push({ name: basename(tree), server: await startBenchServer(dist, ['storage']), burst: [], latency: [] });
}

const profile = await mkdtemp(join(tmpdir(), 'ferry-abs-profile-'));
const context = await chromium.launchPersistentContext(profile, { ...chromiumLaunch, headless: true });
try {
  for (const s of sides) {
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[${s.name} page error]`, e));
    await page.goto(`${s.server.origins['storage']}/index.html`);
    await page.waitForFunction(() => document.title === 'ready');
    s.page = page;
  }
  for (let r = 0; r < rounds; r++) {
    const order = sides.map((_, i) => sides[(i + r) % sides.length] as Side);
    for (const s of order) {
      const page = s.page as Page;
      const b = await page.evaluate((k) => window.ferryBench.burst(k), n);
      // Throughput ratio: Ferry's ops/s ÷ the floor's = floor ms ÷ Ferry ms.
      s.burst.push(b.floor / b.ferry);
      const l = await page.evaluate(() => window.ferryBench.enqueueLatency(40));
      s.latency.push(median(l.ferry) / median(l.floor));
    }
    console.log(
      `round ${r + 1}: ${sides.map((s) => `${s.name} burst ${round(s.burst[r] as number)} latency ${round(s.latency[r] as number)}`).join('  ')}`,
    );
  }
  console.log(
    '\nmedians over rounds (burst: throughput ÷ one big tx, higher is better; latency: ÷ put in own tx, lower is better):',
  );
  for (const s of sides) {
    console.log(
      `  ${s.name.padEnd(12)} burst ${round(median(s.burst))} [${s.burst.map((x) => round(x)).join(', ')}]  latency ${round(median(s.latency))} [${s.latency.map((x) => round(x)).join(', ')}]`,
    );
  }
} finally {
  await context.close();
  for (const s of sides) await s.server.close();
  await removeProfile(profile);
}
