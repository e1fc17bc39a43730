/**
 * `pnpm bench`: runs the benchmark scenarios in headless Chromium (a
 * persistent profile, so IndexedDB is on disk), each beside its baselines in
 * the same run, several rounds, and reports medians and ratios.
 *
 * - The storage scenarios (Ferry's Outbox over IdbStore in a page, against
 *   raw idb).
 * - The service-worker scenarios (src/swScenarios.ts): Ferry's client and service
 *   worker against workbox-background-sync's Queue in its worker and the
 *   floor, each side on its own loopback origin (src/server.ts); the shipped
 *   size (src/build.ts).
 * - Last, the server bench (src/serverBench.ts): @ferry/server's
 *   idempotency layer on PGlite and on Postgres against the bare handler,
 *   and a batch of 25 against 25 singles; it writes bench/results/server.json
 *   (server-quick.json with `--quick`).
 *
 * Writes bench/results/latest.json and prints a table. `--quick` runs small
 * sizes (a smoke test of the harness, not a measurement) and writes
 * quick.json. `--profile` also writes CPU profiles of the Ferry worker
 * (bench/results/profiles/) around the first round's Ferry scenarios.
 * `--only enqueue` runs just the service-worker enqueue latency and burst
 * scenarios (about a minute), prints their ratios and writes only.json;
 * `--rounds N` changes the number of service-worker rounds.
 */
import { removeProfile } from '../../tools/launchChromium.ts';
import type { Target } from './stats.ts';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import type { BrowserContext } from 'playwright';
import { chromiumLaunch } from '../../chromium.config.ts';
import { buildBench, sizes as shippedSizes } from './build.ts';
import { runServerBench, serverTable } from './serverBench.ts';
import { workerProfiler } from './profile.ts';
import { startBenchServer } from './server.ts';
import type { BenchServer } from './server.ts';
import { median, round } from './stats.ts';
import { runSwScenarios } from './swScenarios.ts';
import type { SwSizes } from './swScenarios.ts';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const profiling = process.argv.includes('--profile');
const argAfter = (flag: string): string | undefined => {
  const i = process.argv.indexOf(flag);
  return i < 0 ? undefined : process.argv[i + 1];
};
const only = argAfter('--only');
if (only !== undefined && only !== 'enqueue')
  throw new Error(`--only: unknown scenario group ${JSON.stringify(only)}; known: enqueue`);
const roundsArg = argAfter('--rounds');
const sizes = quick
  ? { rounds: 1, latencyN: 20, burstN: 200, backlog: 2000, backlogSamples: 5 }
  : { rounds: 5, latencyN: 200, burstN: 1000, backlog: 100_000, backlogSamples: 20 };
const swSizes: SwSizes = quick
  ? {
      rounds: 1,
      latencyN: 20,
      burstN: 200,
      lanes: 16,
      oneLaneN: 50,
      oneLaneRounds: 1,
      backlog: 2000,
      backlogSamples: 2,
      delayMs: 20,
      heapN: 2000,
      coldRounds: 1,
    }
  : {
      rounds: 3,
      latencyN: 200,
      burstN: 1000,
      lanes: 16,
      oneLaneN: 1000,
      oneLaneRounds: 2,
      backlog: 100_000,
      backlogSamples: 5,
      delayMs: 20,
      heapN: 100_000,
      coldRounds: 5,
    };
if (only) swSizes.only = only;
if (roundsArg !== undefined) swSizes.rounds = Math.max(1, Number.parseInt(roundsArg, 10) || 1);

/** Builds the pages and workers, serves them (one origin per side), and starts headless Chromium on a fresh profile. */
async function launch(): Promise<{ server: BenchServer; context: BrowserContext; close(): Promise<void> }> {
  const dist = join(here, '../.dist');
  await buildBench(dist, profiling);
  const server = await startBenchServer(dist, ['storage', 'ferry', 'workbox', 'floor', 'ferryBatch', 'backlog']);
  const profile = await mkdtemp(join(tmpdir(), 'ferry-bench-'));
  const context = await chromium.launchPersistentContext(profile, { ...chromiumLaunch, headless: true });
  const close = async (): Promise<void> => {
    await context.close();
    await server.close();
    await removeProfile(profile);
  };
  return { server, context, close };
}

/** `--only enqueue`: the two enqueue scenarios, nothing else, nothing written over latest.json. */
async function onlyEnqueue(): Promise<void> {
  const { server, context, close } = await launch();
  try {
    const sw = await runSwScenarios(
      context,
      server,
      swSizes,
      profiling ? workerProfiler(join(here, '../results/profiles')) : undefined,
    );
    type Three = { ferry: number; workbox: number; floor: number; rounds: unknown };
    const L = sw.enqueue_latency_ms as Three;
    const B = sw.burst_ops_per_s as Three;
    const ratios = {
      enqueue_latency_vs_floor: round(L.ferry / L.floor),
      enqueue_latency_vs_workbox: round(L.ferry / L.workbox),
      burst_vs_floor: round(B.ferry / B.floor),
      burst_vs_workbox: round(B.ferry / B.workbox),
    };
    const result = { date: new Date().toISOString(), only, rounds: swSizes.rounds, ratios, raw: sw };
    const outDir = join(here, '../results');
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'only.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      'latency ms (medians of round medians):',
      { ferry: L.ferry, workbox: L.workbox, floor: L.floor },
      'per round:',
      JSON.stringify(L.rounds),
    );
    console.log(
      'burst ops/s (medians of rounds):',
      { ferry: B.ferry, workbox: B.workbox, floor: B.floor },
      'per round:',
      JSON.stringify(B.rounds),
    );
    console.log('ratios:', ratios);
  } finally {
    await close();
  }
}

async function main(): Promise<void> {
  const { server, context, close } = await launch();
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.error('[page error]', e));
  await page.goto(`${server.origins.storage}/index.html`);
  await page.waitForFunction(() => document.title === 'ready');
  const browserVersion = await page.evaluate(() => navigator.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? 'Chromium');

  const raw: Record<string, unknown> = {};
  const latency = { ferry: [] as number[], floor: [] as number[] };
  const burst = { ferry: [] as number[], floor: [] as number[] };
  for (let r = 0; r < sizes.rounds; r++) {
    const l = await page.evaluate((n) => window.ferryBench.enqueueLatency(n), sizes.latencyN);
    latency.ferry.push(median(l.ferry));
    latency.floor.push(median(l.floor));
    const b = await page.evaluate((n) => window.ferryBench.burst(n), sizes.burstN);
    burst.ferry.push(sizes.burstN / (b.ferry / 1000));
    burst.floor.push(sizes.burstN / (b.floor / 1000));
    process.stdout.write(`storage round ${r + 1}/${sizes.rounds} `);
  }
  console.log();
  raw.storage_enqueue_latency_ms = {
    ferry: round(median(latency.ferry)),
    floor: round(median(latency.floor)),
    rounds: latency,
  };
  raw.storage_burst_ops_per_s = {
    ferry: round(median(burst.ferry), 0),
    floor: round(median(burst.floor), 0),
    n: sizes.burstN,
    rounds: burst,
  };

  const bl = await page.evaluate(([n, s]) => window.ferryBench.backlog(n, s), [
    sizes.backlog,
    sizes.backlogSamples,
  ] as const);
  raw.storage_backlog = {
    pending: sizes.backlog,
    fill_ms: round(bl.fillMs, 0),
    enqueue_ms: { empty: round(median(bl.enqueue.empty)), backlog: round(median(bl.enqueue.full)) },
    claim_ms: { empty: round(median(bl.claim.empty)), backlog: round(median(bl.claim.full)) },
  };
  await page.close();

  const sw = await runSwScenarios(
    context,
    server,
    swSizes,
    profiling ? workerProfiler(join(here, '../results/profiles')) : undefined,
  );
  Object.assign(raw, sw);
  await close();

  const size = await shippedSizes();
  raw.size_bytes = size;

  type Three = { ferry: number; workbox: number; floor: number };
  const L = sw.enqueue_latency_ms as Three;
  const B = sw.burst_ops_per_s as Three;
  const D = sw.drain_ops_per_s as Three & { ordered: boolean };
  const D1 = sw.drain_one_lane_ops_per_s as Three & { ferry_batch: number; ordered: boolean };
  const BL = sw.backlog as {
    enqueue_ms: { empty: number; backlog: number };
    drain_first_100_ms: { empty: number; backlog: number };
  };
  const H = sw.heap as { growth_mb: number; pending_at_start: number; drained: number };
  const C = sw.cold_start_ms as { ferry: number; workbox: number };
  const targets: Target[] = [
    {
      key: 'enqueue_latency_vs_floor',
      label: 'enqueue latency, page → worker ÷ floor',
      value: L.ferry / L.floor,
      kind: 'max',
      target: 1.3,
    },
    {
      key: 'enqueue_latency_vs_workbox',
      label: 'enqueue latency ÷ workbox pushRequest',
      value: L.ferry / L.workbox,
      kind: 'max',
      target: 0.4,
    },
    {
      key: 'burst_vs_floor',
      label: `burst of ${swSizes.burstN} (throughput) ÷ floor`,
      value: B.ferry / B.floor,
      kind: 'min',
      target: 0.5,
    },
    {
      key: 'burst_vs_workbox',
      label: `burst of ${swSizes.burstN} (throughput) ÷ workbox`,
      value: B.ferry / B.workbox,
      kind: 'min',
      target: 10,
    },
    {
      key: 'drain_vs_floor',
      label: `drain ${swSizes.burstN} / ${swSizes.lanes} lanes (throughput) ÷ raw fetch`,
      value: D.ferry / D.floor,
      kind: 'min',
      target: 0.8,
    },
    {
      key: 'drain_vs_workbox',
      label: `drain ${swSizes.burstN} / ${swSizes.lanes} lanes (throughput) ÷ workbox replay`,
      value: D.ferry / D.workbox,
      kind: 'min',
      target: 5,
    },
    {
      key: 'drain_one_lane_vs_workbox',
      label: `drain ${swSizes.oneLaneN} / 1 lane (throughput), batch mode ÷ workbox${D1.ordered ? ', order intact' : ', ORDER BROKEN'}`,
      value: D1.ordered ? D1.ferry_batch / D1.workbox : 0,
      kind: 'min',
      target: 10,
    },
    {
      key: 'cold_start_vs_workbox',
      label: 'cold start: worker stopped with ops queued → first request on the wire ÷ workbox replay at start',
      value: C.ferry / C.workbox,
      kind: 'max',
      target: 1,
    },
    {
      key: 'backlog_enqueue',
      label: `enqueue with ${swSizes.backlog} pending ÷ none`,
      value: BL.enqueue_ms.backlog / BL.enqueue_ms.empty,
      kind: 'max',
      target: 1.3,
    },
    {
      key: 'backlog_drain',
      label: `drain first 100 with ${swSizes.backlog} pending ÷ none`,
      value: BL.drain_first_100_ms.backlog / BL.drain_first_100_ms.empty,
      kind: 'max',
      target: 1.3,
    },
    {
      key: 'heap_growth_mb',
      label: `worker heap growth draining ${H.drained} pending (batch mode)`,
      value: H.growth_mb,
      kind: 'max',
      target: 32,
      unit: 'MB',
    },
    {
      key: 'client_gzip_bytes',
      label: 'page client (@ferry/client), min+gzip',
      value: size.client.gzipBytes,
      kind: 'max',
      target: 3 * 1024,
      unit: 'B',
    },
    {
      key: 'sw_gzip_bytes',
      label: 'service worker (sw + core + idb), min+gzip',
      value: size.sw.gzipBytes,
      kind: 'max',
      target: 12 * 1024,
      unit: 'B',
    },
    {
      key: 'storage_enqueue_latency_vs_floor',
      label: 'storage: enqueue latency ÷ put-in-own-tx',
      value: median(latency.ferry) / median(latency.floor),
      kind: 'max',
      target: 1.3,
    },
    {
      key: 'storage_burst_vs_floor',
      label: `storage: burst of ${sizes.burstN} (throughput) ÷ one big tx`,
      value: median(burst.ferry) / median(burst.floor),
      kind: 'min',
      target: 0.5,
    },
    {
      key: 'storage_backlog_enqueue',
      label: `storage: enqueue with ${sizes.backlog} pending ÷ empty`,
      value: median(bl.enqueue.full) / median(bl.enqueue.empty),
      kind: 'max',
      target: 1.3,
    },
    {
      key: 'storage_backlog_claim',
      label: `storage: claim 32 with ${sizes.backlog} pending ÷ empty`,
      value: median(bl.claim.full) / median(bl.claim.empty),
      kind: 'max',
      target: 1.3,
    },
  ];

  const ratios = Object.fromEntries(targets.map((t) => [t.key, round(t.value)]));
  const version = (await import('playwright/package.json', { with: { type: 'json' } })).default.version;
  const result = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Playwright ${version}, Chromium ${browserVersion}`,
    quick,
    ratios,
    targets: targets.map((t) => ({
      ...t,
      value: round(t.value),
      met: t.kind === 'max' ? t.value <= t.target : t.value >= t.target,
    })),
    raw,
  };
  const outDir = join(here, '../results');
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, quick ? 'quick.json' : 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);

  console.log(`\n${result.machine}${quick ? '  (quick: sizes too small to mean anything)' : ''}\n`);
  console.log('| scenario | Ferry ÷ other | target | |');
  console.log('|---|---|---|---|');
  for (const t of result.targets) {
    const v = t.unit ? `${t.value} ${t.unit}` : `${t.value}`;
    console.log(
      `| ${t.label} | ${v} | ${t.kind === 'max' ? '≤' : '≥'} ${t.target}${t.unit ? ` ${t.unit}` : ''} | ${t.met ? 'met' : 'MISSED'} |`,
    );
  }
  console.log(
    '\nraw:',
    JSON.stringify(raw, (k, v) => (k === 'rounds' || k === 'samples' || k === 'samples_mb' ? undefined : v)),
  );

  // The server half runs after the browser is closed, so the two do not share the CPU.
  console.log('\n@ferry/server (src/serverBench.ts):');
  const serverBench = await runServerBench();
  console.log(`\n${serverBench.machine}${quick ? '  (quick: sizes too small to mean anything)' : ''}\n`);
  console.log(serverTable(serverBench).join('\n'));
}

await (only ? onlyEnqueue() : main());
