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
 * Each target is a ratio per round (src/targets.ts), reported with the spread
 * of its rounds and a verdict: met, missed, or unsettled when the rounds
 * disagree. Writes bench/results/latest.json, then bench/RESULTS.md, the
 * docs' chart and the README's table (src/report.ts), and prints the table. `--quick` runs small
 * sizes (a smoke test of the harness, not a measurement) and writes
 * quick.json and quick.svg only. `--profile` also writes CPU profiles of the Ferry worker
 * (bench/results/profiles/) around the first round's Ferry scenarios.
 * `--only enqueue` runs just the service-worker enqueue latency and burst
 * scenarios (about a minute), prints their ratios and writes only.json;
 * `--rounds N` changes the number of service-worker rounds.
 */
import { removeProfile } from '../../tools/launchChromium.ts';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
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
import type { ByDurability } from '../page/storage.ts';
import { benchChart, targetTable, writeReport } from './report.ts';
import type { BenchResult } from './report.ts';
import { judge, median, round } from './stats.ts';
import { benchTargets, enqueueTargets } from './targets.ts';
import type { TargetInput } from './targets.ts';
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
  const server = await startBenchServer(dist, [
    'storage',
    'ferry',
    'ferryRelaxed',
    'workbox',
    'floor',
    'floorRelaxed',
    'ferryBatch',
    'backlog',
  ]);
  const profile = await mkdtemp(join(tmpdir(), 'ferry-bench-'));
  const context = await chromium.launchPersistentContext(profile, { ...chromiumLaunch, headless: true });
  const close = async (): Promise<void> => {
    await context.close();
    await server.close();
    await removeProfile(profile);
  };
  return { server, context, close };
}

/** `--only enqueue`: the enqueue scenarios, nothing else, nothing written over latest.json. */
async function onlyEnqueue(): Promise<void> {
  const { server, context, close } = await launch();
  try {
    const sw = await runSwScenarios(
      context,
      server,
      swSizes,
      profiling ? workerProfiler(join(here, '../results/profiles')) : undefined,
    );
    const targets = enqueueTargets(swSizes, sw as unknown as TargetInput['raw']).map(judge);
    const ratios = Object.fromEntries(targets.map((t) => [t.key, t.value]));
    const result = { date: new Date().toISOString(), only, rounds: swSizes.rounds, ratios, targets, raw: sw };
    const outDir = join(here, '../results');
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'only.json'), `${JSON.stringify(result, null, 2)}\n`);
    const { rounds: _l, ...latency } = sw.enqueue_latency_ms as Record<string, unknown>;
    const { rounds: _b, ...burst } = sw.burst_ops_per_s as Record<string, unknown>;
    console.log('latency ms (medians of round medians):', latency);
    console.log('burst ops/s (medians of rounds):', burst);
    console.log(targetTable(targets).join('\n'));
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
  type Four = ByDurability<number[]>;
  const latency: Four = { ferry: [], floor: [], ferryRelaxed: [], floorRelaxed: [] };
  const burst: Four = { ferry: [], floor: [], ferryRelaxed: [], floorRelaxed: [] };
  for (let r = 0; r < sizes.rounds; r++) {
    const l = await page.evaluate((n) => window.ferryBench.enqueueLatency(n), sizes.latencyN);
    const b = await page.evaluate((n) => window.ferryBench.burst(n), sizes.burstN);
    for (const k of ['ferry', 'floor', 'ferryRelaxed', 'floorRelaxed'] as const) {
      latency[k].push(median(l[k]));
      burst[k].push(sizes.burstN / (b[k] / 1000));
    }
    process.stdout.write(`storage round ${r + 1}/${sizes.rounds} `);
  }
  console.log();
  const figures = (x: Four, digits: number) => ({
    ferry: round(median(x.ferry), digits),
    floor: round(median(x.floor), digits),
    ferry_relaxed: round(median(x.ferryRelaxed), digits),
    floor_relaxed: round(median(x.floorRelaxed), digits),
    rounds: { ferry: x.ferry, floor: x.floor, ferry_relaxed: x.ferryRelaxed, floor_relaxed: x.floorRelaxed },
  });
  raw.storage_enqueue_latency_ms = figures(latency, 3);
  raw.storage_burst_ops_per_s = { ...figures(burst, 0), n: sizes.burstN };

  const bl = await page.evaluate(([n, s]) => window.ferryBench.backlog(n, s), [
    sizes.backlog,
    sizes.backlogSamples,
  ] as const);
  raw.storage_backlog = {
    pending: sizes.backlog,
    fill_ms: round(bl.fillMs, 0),
    enqueue_ms: { empty: round(median(bl.enqueue.empty)), backlog: round(median(bl.enqueue.full)) },
    claim_ms: { empty: round(median(bl.claim.empty)), backlog: round(median(bl.claim.full)) },
    samples: { enqueue: bl.enqueue, claim: bl.claim },
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
  raw.size_bytes = await shippedSizes();

  const targets = benchTargets({
    sizes: { ...swSizes, storageBurstN: sizes.burstN, storageBacklog: sizes.backlog },
    raw: raw as unknown as TargetInput['raw'],
  }).map(judge);
  const version = (await import('playwright/package.json', { with: { type: 'json' } })).default.version;
  const result: BenchResult = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Playwright ${version}, Chromium ${browserVersion}`,
    load: loadavg().map((x) => round(x, 1)),
    quick,
    ratios: Object.fromEntries(targets.map((t) => [t.key, t.value])),
    targets,
    raw,
  };
  const outDir = join(here, '../results');
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, quick ? 'quick.json' : 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  // A quick run's figures mean nothing: its chart goes beside quick.json, never into the docs.
  if (quick) await writeFile(join(outDir, 'quick.svg'), benchChart(result));
  console.log(`\n${result.machine}${quick ? '  (quick: sizes too small to mean anything)' : ''}\n`);
  console.log(targetTable(result.targets).join('\n'));
  console.log(
    '\nraw:',
    JSON.stringify(raw, (k, v) => (k === 'rounds' || k === 'samples' || k === 'samples_mb' ? undefined : v)),
  );

  // The server half runs after the browser is closed, so the two do not share the CPU.
  console.log('\n@ferry/server (src/serverBench.ts):');
  const serverBench = await runServerBench();
  console.log(`\n${serverBench.machine}${quick ? '  (quick: sizes too small to mean anything)' : ''}\n`);
  console.log(serverTable(serverBench).join('\n'));
  if (!quick) {
    await writeReport(result);
    console.log('\nwrote bench/RESULTS.md, docs/assets/bench.svg and the README table');
  }
}

await (only ? onlyEnqueue() : main());
