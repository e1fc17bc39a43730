/**
 * `pnpm bench`: runs the benchmark scenarios in headless Chromium (a
 * persistent profile, so IndexedDB is on disk), each beside its baseline in
 * the same run, several rounds, and reports medians and ratios.
 *
 * Writes bench/results/latest.json and prints a table. `--quick` runs small
 * sizes (a smoke test of the harness, not a measurement).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { chromiumLaunch } from '../../chromium.config.ts';
import { servePage } from '../../tools/servePage.ts';
import { median, round } from './stats.ts';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const sizes = quick
  ? { rounds: 1, latencyN: 20, burstN: 200, backlog: 2000, backlogSamples: 5 }
  : { rounds: 5, latencyN: 200, burstN: 1000, backlog: 100_000, backlogSamples: 20 };

interface Target {
  key: string;
  label: string;
  value: number;
  /** 'max': the ratio must stay at or below the target; 'min': at or above. */
  kind: 'max' | 'min';
  target: number;
}

async function main(): Promise<void> {
  const page$ = await servePage(join(here, '../page'), join(here, '../.dist'));
  const profile = await mkdtemp(join(tmpdir(), 'ferry-bench-'));
  const context = await chromium.launchPersistentContext(profile, { ...chromiumLaunch, headless: true });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.error('[page error]', e));
  await page.goto(page$.url);
  await page.waitForFunction(() => document.title === 'ready');

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
    process.stdout.write(`round ${r + 1}/${sizes.rounds} `);
  }
  console.log();
  raw.enqueue_latency_ms = { ferry: round(median(latency.ferry)), floor: round(median(latency.floor)), rounds: latency };
  raw.burst_ops_per_s = { ferry: round(median(burst.ferry), 0), floor: round(median(burst.floor), 0), n: sizes.burstN, rounds: burst };

  const bl = await page.evaluate(([n, s]) => window.ferryBench.backlog(n, s), [sizes.backlog, sizes.backlogSamples] as const);
  raw.backlog = {
    pending: sizes.backlog,
    fill_ms: round(bl.fillMs, 0),
    enqueue_ms: { empty: round(median(bl.enqueue.empty)), backlog: round(median(bl.enqueue.full)) },
    claim_ms: { empty: round(median(bl.claim.empty)), backlog: round(median(bl.claim.full)) },
  };

  const targets: Target[] = [
    { key: 'storage_enqueue_latency_vs_floor', label: 'enqueue latency ÷ put-in-own-tx', value: median(latency.ferry) / median(latency.floor), kind: 'max', target: 1.3 },
    { key: 'storage_burst_vs_floor', label: `burst of ${sizes.burstN} (throughput) ÷ one big tx`, value: median(burst.ferry) / median(burst.floor), kind: 'min', target: 0.5 },
    { key: 'backlog_enqueue', label: `enqueue with ${sizes.backlog} pending ÷ empty`, value: median(bl.enqueue.full) / median(bl.enqueue.empty), kind: 'max', target: 1.3 },
    { key: 'backlog_claim', label: `claim 32 with ${sizes.backlog} pending ÷ empty`, value: median(bl.claim.full) / median(bl.claim.empty), kind: 'max', target: 1.3 },
  ];

  await context.close();
  await page$.close();
  await rm(profile, { recursive: true, force: true });

  const ratios = Object.fromEntries(targets.map((t) => [t.key, round(t.value)]));
  const version = (await import('playwright/package.json', { with: { type: 'json' } })).default.version;
  const result = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Playwright ${version}, ${context.browser()?.version() ?? 'Chromium'}`,
    quick,
    ratios,
    targets: targets.map((t) => ({ ...t, value: round(t.value), met: t.kind === 'max' ? t.value <= t.target : t.value >= t.target })),
    raw,
  };
  const outDir = join(here, '../results');
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, quick ? 'quick.json' : 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);

  console.log(`\n${result.machine}${quick ? '  (quick: sizes too small to mean anything)' : ''}\n`);
  console.log('| scenario | ratio | target | |');
  console.log('|---|---|---|---|');
  for (const t of result.targets) console.log(`| ${t.label} | ${t.value} | ${t.kind === 'max' ? '≤' : '≥'} ${t.target} | ${t.met ? 'met' : 'MISSED'} |`);
  console.log('\nraw:', JSON.stringify(raw, (k, v) => (k === 'rounds' ? undefined : v)));
}

await main();
