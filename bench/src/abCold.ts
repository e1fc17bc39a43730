/**
 * A/B of the cold start across source trees, in one browser and one run:
 * each tree builds its own bench pages and Ferry worker on its own origin,
 * and workbox (from this tree) runs beside them. Every round queues 50 ops
 * over 4 lanes on each side, stops every service worker (as the browser
 * stops an idle one), wakes one side with one page message and times its
 * first request on the wire, in a rotating order. Reports per tree the
 * milliseconds and the ratio to workbox of the same round.
 *
 *     pnpm exec tsx src/abCold.ts --rounds 9 /work/wt-old /work/wt-new
 */
import { mkdtemp } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { chromium } from 'playwright';
import type { Page } from 'playwright';
import { chromiumLaunch } from '../../chromium.config.ts';
import { removeProfile } from '../../tools/launchChromium.ts';
import { buildBench } from './build.ts';
import { abArgs, buildTree } from './abTrees.ts';
import { startBenchServer } from './server.ts';
import type { BenchServer } from './server.ts';
import { median, round } from './stats.ts';

const { rounds, trees } = abArgs('abCold.ts', { rounds: 9, n: 50 });

interface Side {
  name: string;
  server: BenchServer;
  side: 'ferry' | 'workbox';
  page?: Page;
  ms: number[];
}

const sides: Side[] = [];
for (const tree of trees) {
  const dist = await buildTree(tree);
  sides.push({ name: basename(tree), server: await startBenchServer(dist, ['ferry']), side: 'ferry', ms: [] });
}
const wbDist = await mkdtemp(join(tmpdir(), 'ferry-ab-workbox-'));
await buildBench(wbDist);
sides.push({ name: 'workbox', server: await startBenchServer(wbDist, ['workbox']), side: 'workbox', ms: [] });

const profile = await mkdtemp(join(tmpdir(), 'ferry-ab-profile-'));
const context = await chromium.launchPersistentContext(profile, { ...chromiumLaunch, headless: true });
try {
  for (const s of sides) {
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[${s.name} page error]`, e));
    await page.goto(`${s.server.origins[s.side]}/sw.html?side=${s.side}`);
    await page.waitForFunction(() => document.title === 'ready');
    await page.evaluate(() => window.swBench.ready());
    s.page = page;
  }
  const session = await context.newCDPSession(sides[0]?.page as Page);
  await session.send('ServiceWorker.enable');
  for (let r = 0; r < rounds; r++) {
    const order = sides.map((_, i) => sides[(i + r) % sides.length] as Side);
    for (const s of order) {
      const page = s.page as Page;
      s.server.delayMs = 0;
      await page.evaluate(() => window.swBench.fill(50, 4));
      await session.send('ServiceWorker.stopAllWorkers');
      await sleep(500);
      s.server.resetLog(s.side);
      const t0 = await page.evaluate(() => window.swBench.wakeCold());
      const end = Date.now() + 30_000;
      while (s.server.log(s.side).firstAt === undefined && Date.now() < end) await sleep(2);
      const first = s.server.log(s.side).firstAt;
      if (first === undefined) throw new Error(`${s.name}: sent nothing within 30 s`);
      s.ms.push(first - t0);
      await page.evaluate(() => window.swBench.drain());
    }
    const wb = sides.at(-1) as Side;
    console.log(
      `round ${r + 1}: ${sides.map((s) => `${s.name} ${s.ms[r]} ms`).join('  ')}  (÷ workbox: ${sides
        .slice(0, -1)
        .map((s) => round((s.ms[r] as number) / (wb.ms[r] as number)))
        .join(', ')})`,
    );
  }
  await session.detach();
  const wb = sides.at(-1) as Side;
  console.log('\nmedians over rounds (ms to the first request; ratio = median of per-round ratios to workbox):');
  for (const s of sides) {
    const ratios = s.ms.map((v, i) => v / (wb.ms[i] as number));
    console.log(
      `  ${s.name.padEnd(12)} ${String(median(s.ms)).padStart(5)} ms  ÷ workbox ${round(median(ratios))}  [${ratios.map((x) => round(x)).join(', ')}]`,
    );
  }
} finally {
  await context.close();
  for (const s of sides) await s.server.close();
  await removeProfile(profile);
}
