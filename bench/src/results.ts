/**
 * Renders bench/results/latest.json as bench/RESULTS.md: the table for the
 * README, with the date and machine it came from; then bench/results/server.json
 * (@ferry/server, src/serverBench.ts) the same way. `pnpm exec tsx src/results.ts`.
 */
import type { Target as StatsTarget } from './stats.ts';
import { readFile, writeFile } from 'node:fs/promises';
import type { ServerBenchResult } from './serverBench.ts';
import { serverTable } from './serverBench.ts';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

type Target = StatsTarget & { met: boolean };
type Three = { ferry: number; workbox: number; floor: number };

const r = JSON.parse(await readFile(join(here, '../results/latest.json'), 'utf8')) as {
  date: string;
  machine: string;
  quick: boolean;
  targets: Target[];
  raw: Record<string, unknown>;
};
const raw = r.raw as Record<string, Three & Record<string, unknown>>;
const fig = (t: Target): string => (t.unit ? `${t.value.toLocaleString('en')} ${t.unit}` : `${t.value}×`);
const lines = [
  `## Benchmarks`,
  '',
  `${r.date.slice(0, 10)} · ${r.machine}${r.quick ? ' · QUICK RUN, not a measurement' : ''}`,
  '',
  'Ratios are Ferry ÷ other: times, lower is better; throughputs, higher is better. Medians over rounds; `pnpm bench` reproduces them.',
  '',
  '| scenario | Ferry ÷ other | target | |',
  '|---|---|---|---|',
  ...r.targets.map(
    (t) =>
      `| ${t.label} | ${fig(t)} | ${t.kind === 'max' ? '≤' : '≥'} ${t.target.toLocaleString('en')}${t.unit ? ` ${t.unit}` : '×'} | ${t.met ? 'met' : '**missed**'} |`,
  ),
  '',
  '| raw (medians) | Ferry | workbox | floor |',
  '|---|---|---|---|',
  ...(
    [
      ['enqueue latency, ms', 'enqueue_latency_ms'],
      ['burst, ops/s', 'burst_ops_per_s'],
      ['drain, 16 lanes, ops/s', 'drain_ops_per_s'],
      ['drain, 1 lane, ops/s', 'drain_one_lane_ops_per_s'],
    ] as const
  ).map(([label, k]) => `| ${label} | ${raw[k]?.ferry} | ${raw[k]?.workbox} | ${raw[k]?.floor} |`),
  `| drain, 1 lane, batch mode, ops/s | ${raw.drain_one_lane_ops_per_s?.ferry_batch} | | |`,
  '',
];
const bl = raw.backlog as unknown as {
  pending: number;
  enqueue_ms: { empty: number; backlog: number };
  drain_first_100_ms: { empty: number; backlog: number };
};
const heap = raw.heap as unknown as {
  drained: number;
  pending_at_start: number;
  before_mb: number;
  peak_mb: number;
  after_gc_mb: number;
  ops_per_s: number;
};
const size = raw.size_bytes as unknown as Record<string, { minBytes: number; gzipBytes: number }>;
lines.push(
  `Backlog (${bl.pending.toLocaleString('en')} pending vs none): enqueue ${bl.enqueue_ms.backlog} vs ${bl.enqueue_ms.empty} ms; first 100 drained in ${bl.drain_first_100_ms.backlog} vs ${bl.drain_first_100_ms.empty} ms.`,
  `Worker heap draining all ${heap.drained.toLocaleString('en')} pending (batch mode): ${heap.before_mb} MB before, ${heap.peak_mb} MB peak, ${heap.after_gc_mb} MB after GC (${heap.ops_per_s} ops/s on an API answering at once).`,
  `Shipped, min+gzip: page client ${size.client?.gzipBytes} B, service worker ${size.sw?.gzipBytes} B (workbox-background-sync's Queue alone: ${size.workbox_sw?.gzipBytes} B).`,
  '',
);
const server = JSON.parse(await readFile(join(here, '../results/server.json'), 'utf8')) as ServerBenchResult;
lines.push(
  '## Server: @ferry/server',
  '',
  `${server.date.slice(0, 10)} · ${server.machine}${server.quick ? ' · QUICK RUN, not a measurement' : ''}`,
  '',
  `A trivial handler (\`201 {"ok":true}\`) on Node's http in a process of its own, bare and behind the idempotency layer; ${server.sizes.requests.toLocaleString('en')} POSTs ${server.sizes.concurrency} at a time, each with a new key, from the bench process on the same machine. A lane's ${server.sizes.batchSize} ops as one batch against ${server.sizes.batchSize} single requests one after the other: medians over ${server.sizes.batchRounds} rounds. \`pnpm bench\` runs it last; \`pnpm --filter @ferry/bench bench:server\` alone. The load average is the whole machine's: above its number of cores, other work shared the CPU, and the absolute figures are low; compare the rows of one run.`,
  '',
  ...serverTable(server),
  '',
);
await writeFile(join(here, '../RESULTS.md'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
