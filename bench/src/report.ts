/**
 * What `pnpm bench` writes besides its JSON: bench/RESULTS.md (the targets
 * with their spreads and verdicts, the raw medians, the server bench), the
 * chart the performance page shows (docs/assets/bench.svg) and the README's
 * copy of the targets table. `pnpm bench` writes them after a full run; `pnpm exec tsx src/results.ts` rewrites them
 * from bench/results/latest.json and server.json.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchPanels, chartSvg } from './chart.ts';
import type { ServerBenchResult } from './serverBench.ts';
import { serverTable } from './serverBench.ts';
import type { JudgedTarget } from './stats.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const resultsDir = join(here, '../results');
export const resultsPath = join(here, '../RESULTS.md');
export const chartPath = join(here, '../../docs/assets/bench.svg');
/** The README's copy of the targets table sits between these markers. */
const readmePath = join(here, '../../README.md');
const README_TABLE = /(<!-- bench: targets[^>]*-->\n\n)[^]*?(\n\n<!-- \/bench -->)/;

/** bench/results/latest.json (quick.json for `--quick`). */
export interface BenchResult {
  date: string;
  machine: string;
  /** The machine's load average (1, 5, 15 min) when the run ended. */
  load: number[];
  quick: boolean;
  /** Each target's value by key: the names other tools and the issue tracker read. */
  ratios: Record<string, number>;
  targets: JudgedTarget[];
  raw: Record<string, unknown>;
}

const num = (x: number): string => x.toLocaleString('en');
const fig = (t: JudgedTarget, x: number): string => (t.unit ? `${num(x)} ${t.unit}` : `${x}×`);
const VERDICT = { met: 'met', missed: '**missed**', unsettled: '_unsettled_' } as const;

/** The targets as a Markdown table: median ratio, spread of the rounds, bound, verdict. */
export function targetTable(targets: readonly JudgedTarget[]): string[] {
  return [
    '| scenario | Ferry ÷ other | rounds (min–max) | target | |',
    '|---|---|---|---|---|',
    ...targets.map(
      (t) =>
        `| ${t.label} | ${fig(t, t.value)} | ${t.rounds ? `${t.min}–${t.max} (${t.rounds.length})` : '–'} | ${t.kind === 'max' ? '≤' : '≥'} ${fig(t, t.target)} | ${VERDICT[t.verdict]} |`,
    ),
  ];
}

type Figures = Record<string, number | undefined>;

/** The generated bench/RESULTS.md. */
export function resultsMarkdown(r: BenchResult, server: ServerBenchResult): string {
  const raw = r.raw as Record<string, Figures>;
  const row = (label: string, f: Figures | undefined, first = f?.ferry): string =>
    `| ${label} | ${first ?? ''} | ${f?.ferry_relaxed ?? ''} | ${f?.workbox ?? ''} | ${f?.floor ?? ''} | ${f?.floor_relaxed ?? ''} |`;
  const bl = r.raw.backlog as { pending: number; enqueue_ms: Figures; drain_first_100_ms: Figures };
  const heap = r.raw.heap as Figures;
  const size = r.raw.size_bytes as Record<string, { gzipBytes: number }>;
  return [
    '<!-- Written by `pnpm bench` (bench/src/report.ts): edit the generator, not this file. -->',
    '',
    '## Benchmarks',
    '',
    `${r.date.slice(0, 10)} · ${r.machine} · load average ${r.load.join(' ')} at the end${r.quick ? ' · QUICK RUN, not a measurement' : ''}`,
    '',
    "Ratios are Ferry ÷ other, each round against the other side in that same round: times, lower is better; throughputs, higher is better. The figure is the median of the rounds' ratios, the spread their smallest and largest. A target is met or missed when every round agrees, and _unsettled_ when some rounds meet it and some miss it. Enqueue latency and bursts are compared with the floor of the same durability: `strict` is Ferry's default. `pnpm bench` reproduces them; [docs/performance.md](../docs/performance.md) says how they are made and shows them as a chart.",
    '',
    ...targetTable(r.targets),
    '',
    '| raw (medians) | Ferry | Ferry, relaxed | workbox | floor | floor, relaxed |',
    '|---|---|---|---|---|---|',
    row('enqueue latency, ms', raw.enqueue_latency_ms),
    row('burst, ops/s', raw.burst_ops_per_s),
    row('drain, 16 lanes, ops/s (floor: raw fetch)', raw.drain_ops_per_s),
    row('drain, 1 lane, ops/s (floor: raw fetch)', raw.drain_one_lane_ops_per_s),
    row('drain, 1 lane, batch mode, ops/s', undefined, raw.drain_one_lane_ops_per_s?.ferry_batch),
    row('cold start, ms', raw.cold_start_ms),
    row('storage: enqueue latency, ms (floor: put in own tx)', raw.storage_enqueue_latency_ms),
    row('storage: burst, ops/s (floor: one big tx)', raw.storage_burst_ops_per_s),
    '',
    `Backlog (${num(bl.pending)} pending vs none): enqueue ${bl.enqueue_ms.backlog} vs ${bl.enqueue_ms.empty} ms; first 100 drained in ${bl.drain_first_100_ms.backlog} vs ${bl.drain_first_100_ms.empty} ms.`,
    `Worker heap draining all ${num(heap.drained ?? 0)} pending (batch mode): ${heap.before_mb} MB before, ${heap.peak_mb} MB peak, ${heap.after_gc_mb} MB after GC (${heap.ops_per_s} ops/s on an API answering at once).`,
    `Shipped, min+gzip: page client ${size.client?.gzipBytes} B, service worker ${size.sw?.gzipBytes} B (workbox-background-sync's Queue alone: ${size.workbox_sw?.gzipBytes} B).`,
    '',
    '## Server: @ferry/server',
    '',
    `${server.date.slice(0, 10)} · ${server.machine}${server.quick ? ' · QUICK RUN, not a measurement' : ''}`,
    '',
    `A trivial handler (\`201 {"ok":true}\`) on Node's http in a process of its own, bare and behind the idempotency layer; ${num(server.sizes.requests)} POSTs ${server.sizes.concurrency} at a time, each with a new key, from the bench process on the same machine. A lane's ${server.sizes.batchSize} ops as one batch against ${server.sizes.batchSize} single requests one after the other: medians over ${server.sizes.batchRounds} rounds. \`pnpm bench\` runs it last; \`pnpm --filter @ferry/bench bench:server\` alone. The load average is the whole machine's: above its number of cores, other work shared the CPU, and the absolute figures are low; compare the rows of one run.`,
    '',
    ...serverTable(server),
    '',
  ].join('\n');
}

/** The chart of a result, captioned with where it came from. */
export function benchChart(r: BenchResult): string {
  const caption = [
    `${r.date.slice(0, 10)} · load average ${r.load.join(' ')} at the end${r.quick ? ' · QUICK RUN, not a measurement' : ''}`,
    r.machine,
  ];
  return chartSvg(benchPanels(r.raw as Parameters<typeof benchPanels>[0]), caption);
}

/** Rewrites bench/RESULTS.md, the docs' chart and the README's table from a full run's result and the server bench's. */
export async function writeReport(r: BenchResult, serverFile = join(resultsDir, 'server.json')): Promise<void> {
  const server = JSON.parse(await readFile(serverFile, 'utf8')) as ServerBenchResult;
  await writeFile(resultsPath, resultsMarkdown(r, server));
  await writeFile(chartPath, benchChart(r));
  const readme = await readFile(readmePath, 'utf8');
  if (!README_TABLE.test(readme)) throw new Error('README.md: the bench table markers are missing');
  await writeFile(
    readmePath,
    readme.replace(
      README_TABLE,
      (_, open: string, close: string) => `${open}${targetTable(r.targets).join('\n')}${close}`,
    ),
  );
}
