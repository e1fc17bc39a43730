/**
 * The service-worker scenarios: Ferry (its client and its service worker, defaults),
 * workbox-background-sync's `Queue` in a service worker, and the floor (a
 * worker with a raw idb put / raw fetch), each side on its own origin, all
 * in the same browser and the same run, interleaved round by round. The
 * enqueue scenarios also run Ferry with `storage.durability: 'relaxed'` and
 * the floor's put in both durabilities, so that each Ferry mode has a floor
 * of its own kind.
 */
import type { BrowserContext, Page } from 'playwright';
import type { BenchServer } from './server.ts';
import { inOrder } from './server.ts';
import { median, round } from './stats.ts';
import type { WorkerCdp } from './workerCdp.ts';
import { attachToWorker } from './workerCdp.ts';

export const SIDES = ['ferry', 'workbox', 'floor'] as const;
export type Side = (typeof SIDES)[number];
/** The enqueue scenarios' sides: `ferry` and `floor` are `strict` (Ferry's default), the `…Relaxed` ones `relaxed`. */
export const ENQUEUE_SIDES = ['ferry', 'ferryRelaxed', 'workbox', 'floor', 'floorRelaxed'] as const;
export type EnqueueSide = (typeof ENQUEUE_SIDES)[number];
type PageName = EnqueueSide | 'ferryBatch' | 'backlog';

export interface SwSizes {
  rounds: number;
  latencyN: number;
  burstN: number;
  lanes: number;
  oneLaneN: number;
  /** Rounds of the one-lane drain (the slowest scenario: ~20 s per side). */
  oneLaneRounds: number;
  backlog: number;
  backlogSamples: number;
  /** The API's answer delay in the drain scenarios. */
  delayMs: number;
  /** Ops queued, then all drained (batch mode, fast API) while the worker's heap is sampled. */
  heapN: number;
  /** Rounds of the cold-start scenario (worker stopped with ops queued → first request on the wire). */
  coldRounds: number;
  /** `enqueue`: only the enqueue latency and burst scenarios (`--only enqueue`). */
  only?: 'enqueue';
}

type PerSide = Record<Side, number[]>;
const perSide = (): PerSide => ({ ferry: [], workbox: [], floor: [] });
const medians = (x: Partial<Record<EnqueueSide, number[]>>, digits = 3): Record<string, number> =>
  Object.fromEntries(Object.entries(x).map(([side, xs]) => [jsonKey(side), round(median(xs), digits)]));
/** A side's name in the results: `ferryRelaxed` → `ferry_relaxed`. */
const jsonKey = (side: string): string => side.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const byJsonKey = (x: Partial<Record<EnqueueSide, number[]>>): Record<string, number[]> =>
  Object.fromEntries(Object.entries(x).map(([side, xs]) => [jsonKey(side), xs]));
/** `xs` starting at its `r`-th element, so that no side always runs first. */
const rotate = <T>(xs: readonly T[], r: number): T[] => xs.map((_, i) => xs[(i + r) % xs.length] as T);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Drives the pages; returns the raw figures. */
export async function runSwScenarios(
  context: BrowserContext,
  server: BenchServer,
  s: SwSizes,
  profile: ((name: string, cdp: WorkerCdp) => Promise<() => Promise<void>>) | undefined,
): Promise<Record<string, unknown>> {
  // `ferryBatch`: Ferry in batch mode (one-lane drain, memory); `backlog`: Ferry with 100,000 pending.
  const pages = {} as Record<PageName, Page>;
  for (const [name, side] of [
    ['ferry', 'ferry'],
    ['ferryRelaxed', 'ferry'],
    ['workbox', 'workbox'],
    ['floor', 'floor'],
    ['floorRelaxed', 'floor'],
    ['ferryBatch', 'ferry'],
    ['backlog', 'ferry'],
  ] as const) {
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[${name} page error]`, e));
    page.on('console', (m) => m.type() === 'error' && console.error(`[${name} console]`, m.text()));
    const flags = [
      profile && name === 'ferry' && '&trace',
      name === 'ferryBatch' && '&batch',
      name.endsWith('Relaxed') && '&relaxed',
    ]
      .filter(Boolean)
      .join('');
    await page.goto(`${server.origins[name]}/sw.html?side=${side}${flags}`);
    await page.waitForFunction(() => document.title === 'ready');
    await page.evaluate(() => window.swBench.ready());
    pages[name] = page;
  }
  const ferryCdp = profile && (await attachToWorker(context, pages.ferry, `${server.origins.ferry}/sw-ferry.js`));
  const profiled = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    if (!profile || !ferryCdp) return fn();
    const stop = await profile(name, ferryCdp);
    await pages.ferry.evaluate(() => window.swBench.trace());
    try {
      return await fn();
    } finally {
      await stop();
      console.log(`[trace ${name}]`, JSON.stringify(await pages.ferry.evaluate(() => window.swBench.trace()), null, 1));
    }
  };

  /** Drains what a side has queued, untimed, on a fast API (clean-up between scenarios). */
  const flush = async (side: PageName): Promise<void> => {
    const delay = server.delayMs;
    server.delayMs = 0;
    await pages[side].evaluate(() => window.swBench.drain());
    server.delayMs = delay;
  };
  /** One timed drain on the slow API; checks count and lane order on the server. */
  const drain = async (side: Side | 'ferryBatch', expect: number): Promise<{ ms: number; ordered: boolean }> => {
    server.resetLog(side);
    server.delayMs = s.delayMs;
    const ms = await pages[side].evaluate(() => window.swBench.drain());
    const log = server.log(side);
    if (log.count < expect) throw new Error(`${side} drain: the server saw ${log.count} of ${expect} requests`);
    return { ms, ordered: inOrder(log) };
  };

  const latency: Record<EnqueueSide, number[]> = { ...perSide(), ferryRelaxed: [], floorRelaxed: [] };
  const burst: Record<EnqueueSide, number[]> = { ...perSide(), ferryRelaxed: [], floorRelaxed: [] };
  const drainMany = perSide();
  const drainOne = perSide();
  const drainOneBatch: number[] = [];
  let orderedMany = true;
  let orderedOne = true;
  for (let r = 0; r < s.rounds; r++) {
    const first = r === 0;
    for (const side of rotate(ENQUEUE_SIDES, r)) {
      const samples = await (first && side === 'ferry'
        ? profiled('enqueue-latency', () => pages[side].evaluate((n) => window.swBench.latency(n), s.latencyN))
        : pages[side].evaluate((n) => window.swBench.latency(n), s.latencyN));
      latency[side].push(median(samples));
      await flush(side);
    }
    for (const side of rotate(ENQUEUE_SIDES, r)) {
      const run = () =>
        pages[side].evaluate(([n, lanes]) => window.swBench.burst(n, lanes), [s.burstN, s.lanes] as const);
      const ms = await (first && side === 'ferry' ? profiled('burst', run) : run());
      burst[side].push(s.burstN / (ms / 1000));
    }
    if (s.only === 'enqueue') {
      // The burst left ops queued: drain them untimed so that each round starts alike.
      for (const side of ENQUEUE_SIDES) await flush(side);
      process.stdout.write(`sw round ${r + 1}/${s.rounds} `);
      continue;
    }
    // The burst left ops queued on every side; the relaxed ones are not drained on the slow API.
    for (const side of ['ferryRelaxed', 'floorRelaxed'] as const) await flush(side);
    for (const side of SIDES) {
      const d = await (first && side === 'ferry'
        ? profiled('drain-16-lanes', () => drain(side, s.burstN))
        : drain(side, s.burstN));
      drainMany[side].push(s.burstN / (d.ms / 1000));
      orderedMany &&= d.ordered;
    }
    if (r < s.oneLaneRounds) {
      for (const side of SIDES) {
        await pages[side].evaluate(([n]) => window.swBench.fill(n, 1), [s.oneLaneN] as const);
        const d = await (first && side === 'ferry'
          ? profiled('drain-one-lane', () => drain(side, s.oneLaneN))
          : drain(side, s.oneLaneN));
        drainOne[side].push(s.oneLaneN / (d.ms / 1000));
        orderedOne &&= d.ordered;
      }
      // The same lane in batch mode: the figure the one-lane target is about.
      await pages.ferryBatch.evaluate(([n]) => window.swBench.fill(n, 1), [s.oneLaneN] as const);
      const d = await drain('ferryBatch', s.oneLaneN);
      drainOneBatch.push(s.oneLaneN / (d.ms / 1000));
      orderedOne &&= d.ordered;
    }
    process.stdout.write(`sw round ${r + 1}/${s.rounds} `);
  }
  console.log();
  if (s.only === 'enqueue') {
    await ferryCdp?.detach();
    return {
      enqueue_latency_ms: { ...medians(latency), n: s.latencyN, rounds: byJsonKey(latency) },
      burst_ops_per_s: { ...medians(burst, 0), n: s.burstN, lanes: s.lanes, rounds: byJsonKey(burst) },
    };
  }

  // Cold start: ops queued, every worker stopped (as the browser stops an idle one), then one
  // page message wakes a side; timed until its first request reaches the server.
  const cold = { ferry: [] as number[], workbox: [] as number[] };
  const session = await context.newCDPSession(pages.ferry);
  await session.send('ServiceWorker.enable');
  server.delayMs = 0;
  for (let r = 0; r < s.coldRounds; r++) {
    for (const side of ['ferry', 'workbox'] as const) {
      await pages[side].evaluate(() => window.swBench.fill(50, 4));
      await session.send('ServiceWorker.stopAllWorkers');
      await sleep(500);
      server.resetLog(side);
      const t0 = await pages[side].evaluate(() => window.swBench.wakeCold());
      const end = Date.now() + 30_000;
      while (server.log(side).firstAt === undefined && Date.now() < end) await sleep(2);
      const first = server.log(side).firstAt;
      if (first === undefined) throw new Error(`cold start: ${side} sent nothing within 30 s`);
      cold[side].push(first - t0);
      await flush(side);
    }
  }
  await session.detach();

  // Backlog: the `backlog` origin holds s.backlog pending ops, the `ferry` origin none.
  server.delayMs = s.delayMs;
  const fillMs = await pages.backlog.evaluate(([n, lanes]) => window.swBench.fill(n, lanes), [s.backlog, 100] as const);
  await sleep(3000); // let the bulk fill's background work in the browser settle
  const bl = {
    enqueue: { empty: [] as number[], full: [] as number[] },
    drain: { empty: [] as number[], full: [] as number[] },
  };
  for (let i = 0; i < s.backlogSamples; i++) {
    bl.enqueue.empty.push(median(await pages.ferry.evaluate(() => window.swBench.latency(20, 100))));
    bl.enqueue.full.push(median(await pages.backlog.evaluate(() => window.swBench.latency(20, 100))));
  }
  await flush('ferry');
  for (let i = 0; i < s.backlogSamples; i++) {
    await pages.ferry.evaluate(() => window.swBench.fill(100, 100));
    bl.drain.empty.push(await pages.ferry.evaluate(() => window.swBench.drainFirst(100)));
    await flush('ferry');
    bl.drain.full.push(await pages.backlog.evaluate(() => window.swBench.drainFirst(100)));
    await sleep(300); // the rest of the claimed batch settles
  }

  // Memory: queue s.heapN ops on the batch-mode origin (100 lanes), then drain them all on a fast
  // API while sampling the worker's heap. Batch mode is what lets a 100,000-op backlog drain in a minute.
  await flush('ferryBatch');
  const heapFillMs = await pages.ferryBatch.evaluate(([n]) => window.swBench.fill(n, 100), [s.heapN] as const);
  await sleep(1000);
  const cdp = await attachToWorker(context, pages.ferryBatch, `${server.origins.ferryBatch}/sw-ferry.js?batch`);
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = () => cdp.send<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage');
  const before = await heap();
  const pending =
    ((await pages.ferryBatch.evaluate(() => window.swBench.stats())) as Record<string, number>).pending ?? 0;
  server.delayMs = 0;
  let peak = before.usedSize;
  const samples: number[] = [];
  let draining = true;
  const sampler = (async () => {
    while (draining) {
      const h = await heap().catch(() => undefined);
      if (h) {
        samples.push(h.usedSize);
        peak = Math.max(peak, h.usedSize);
      }
      await sleep(250);
    }
  })();
  const drained = await pages.ferryBatch.evaluate(() => window.swBench.drainAll());
  draining = false;
  await sampler;
  const left = drained.stats as Record<string, number>;
  if ((left.pending ?? 0) + (left.inflight ?? 0) > 0 || (left.done ?? 0) < pending)
    throw new Error(`heap drain left ${JSON.stringify(left)} of ${pending}`);
  await cdp.send('HeapProfiler.collectGarbage');
  const after = await heap();
  await cdp.detach();
  await ferryCdp?.detach();
  const mb = (b: number): number => round(b / 2 ** 20, 2);

  return {
    enqueue_latency_ms: { ...medians(latency), n: s.latencyN, rounds: byJsonKey(latency) },
    burst_ops_per_s: { ...medians(burst, 0), n: s.burstN, lanes: s.lanes, rounds: byJsonKey(burst) },
    cold_start_ms: { ferry: round(median(cold.ferry)), workbox: round(median(cold.workbox)), rounds: cold },
    drain_ops_per_s: {
      ...medians(drainMany, 0),
      n: s.burstN,
      lanes: s.lanes,
      delay_ms: s.delayMs,
      ordered: orderedMany,
      rounds: drainMany,
    },
    drain_one_lane_ops_per_s: {
      ...medians(drainOne, 0),
      ferry_batch: round(median(drainOneBatch), 0),
      n: s.oneLaneN,
      delay_ms: s.delayMs,
      ordered: orderedOne,
      rounds: { ...drainOne, ferry_batch: drainOneBatch },
    },
    backlog: {
      pending: s.backlog,
      fill_ms: round(fillMs, 0),
      enqueue_ms: { empty: round(median(bl.enqueue.empty)), backlog: round(median(bl.enqueue.full)) },
      drain_first_100_ms: { empty: round(median(bl.drain.empty)), backlog: round(median(bl.drain.full)) },
      samples: bl,
    },
    heap: {
      pending_at_start: pending,
      drained: pending,
      fill_ms: round(heapFillMs, 0),
      drain_ms: round(drained.ms, 0),
      ops_per_s: round(pending / (drained.ms / 1000), 0),
      before_mb: mb(before.usedSize),
      peak_mb: mb(peak),
      after_gc_mb: mb(after.usedSize),
      growth_mb: mb(peak - before.usedSize),
      samples_mb: samples.map(mb),
    },
  };
}
