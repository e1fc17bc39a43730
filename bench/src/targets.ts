/**
 * The targets of `pnpm bench`: each Ferry figure against the other side of the
 * same run, as a ratio per round (both sides' figures from that round), with
 * the bound the issue set for it. Enqueue latency and bursts are compared
 * with the floor of the same durability: `…_vs_floor` is Ferry's default
 * (`strict`) against a `strict` floor, `…_relaxed_vs_floor_relaxed` both `relaxed`.
 */
import type { ShippedSize } from './build.ts';
import type { Target } from './stats.ts';
import { median, ratioTarget } from './stats.ts';

type Rounds = Record<string, number[]>;
/** The runner's raw figures that the targets read (swScenarios.ts and run.ts's storage scenarios). */
export interface TargetInput {
  sizes: {
    burstN: number;
    lanes: number;
    oneLaneN: number;
    backlog: number;
    storageBurstN: number;
    storageBacklog: number;
  };
  raw: {
    enqueue_latency_ms: { rounds: Rounds };
    burst_ops_per_s: { rounds: Rounds };
    drain_ops_per_s: { rounds: Rounds };
    drain_one_lane_ops_per_s: { ordered: boolean; rounds: Rounds };
    cold_start_ms: { rounds: Rounds };
    backlog: { samples: { enqueue: { empty: number[]; full: number[] }; drain: { empty: number[]; full: number[] } } };
    heap: { growth_mb: number; drained: number };
    size_bytes: Record<'client' | 'sw', ShippedSize>;
    storage_enqueue_latency_ms: { rounds: Rounds };
    storage_burst_ops_per_s: { rounds: Rounds };
    storage_backlog: {
      samples: { enqueue: { empty: number[]; full: number[] }; claim: { empty: number[]; full: number[] } };
    };
  };
}

/** Medians of consecutive chunks of `size`: one figure per claimed batch's worth of enqueues. */
const chunkMedians = (xs: readonly number[], size: number): number[] =>
  Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => median(xs.slice(i * size, (i + 1) * size)));

/** The service-worker enqueue targets alone (`--only enqueue` reports these). */
export function enqueueTargets(
  s: Pick<TargetInput['sizes'], 'burstN'>,
  raw: Pick<TargetInput['raw'], 'enqueue_latency_ms' | 'burst_ops_per_s'>,
): Target[] {
  const r = (key: string): number[] => raw.enqueue_latency_ms.rounds[key] ?? [];
  const burst = (key: string): number[] => raw.burst_ops_per_s.rounds[key] ?? [];
  return [
    ratioTarget(
      {
        key: 'enqueue_latency_vs_floor',
        label: 'enqueue latency, page → worker ÷ floor (both strict)',
        kind: 'max',
        target: 1.3,
      },
      r('ferry'),
      r('floor'),
    ),
    ratioTarget(
      {
        key: 'enqueue_latency_relaxed_vs_floor_relaxed',
        label: 'enqueue latency, page → worker ÷ floor (both relaxed)',
        kind: 'max',
        target: 1.3,
      },
      r('ferry_relaxed'),
      r('floor_relaxed'),
    ),
    ratioTarget(
      { key: 'enqueue_latency_vs_workbox', label: 'enqueue latency ÷ workbox pushRequest', kind: 'max', target: 0.4 },
      r('ferry'),
      r('workbox'),
    ),
    ratioTarget(
      {
        key: 'burst_vs_floor',
        label: `burst of ${s.burstN} (throughput) ÷ floor (both strict)`,
        kind: 'min',
        target: 0.5,
      },
      burst('ferry'),
      burst('floor'),
    ),
    ratioTarget(
      {
        key: 'burst_relaxed_vs_floor_relaxed',
        label: `burst of ${s.burstN} (throughput) ÷ floor (both relaxed)`,
        kind: 'min',
        target: 0.5,
      },
      burst('ferry_relaxed'),
      burst('floor_relaxed'),
    ),
    ratioTarget(
      { key: 'burst_vs_workbox', label: `burst of ${s.burstN} (throughput) ÷ workbox`, kind: 'min', target: 10 },
      burst('ferry'),
      burst('workbox'),
    ),
  ];
}

/** Every target of `pnpm bench`, in the order of the report. */
export function benchTargets({ sizes: s, raw }: TargetInput): Target[] {
  const D = raw.drain_ops_per_s.rounds;
  const D1 = raw.drain_one_lane_ops_per_s;
  const C = raw.cold_start_ms.rounds;
  const BL = raw.backlog.samples;
  const SL = raw.storage_enqueue_latency_ms.rounds;
  const SB = raw.storage_burst_ops_per_s.rounds;
  const SBL = raw.storage_backlog.samples;
  return [
    ...enqueueTargets(s, raw),
    ratioTarget(
      {
        key: 'drain_vs_floor',
        label: `drain ${s.burstN} / ${s.lanes} lanes (throughput) ÷ raw fetch`,
        kind: 'min',
        target: 0.9,
      },
      D.ferry ?? [],
      D.floor ?? [],
    ),
    ratioTarget(
      {
        key: 'drain_vs_workbox',
        label: `drain ${s.burstN} / ${s.lanes} lanes (throughput) ÷ workbox replay`,
        kind: 'min',
        target: 5,
      },
      D.ferry ?? [],
      D.workbox ?? [],
    ),
    ratioTarget(
      {
        key: 'drain_one_lane_vs_workbox',
        label: `drain ${s.oneLaneN} / 1 lane (throughput), batch mode ÷ workbox${D1.ordered ? ', order intact' : ', ORDER BROKEN'}`,
        kind: 'min',
        target: 20,
      },
      // A broken lane order fails the target whatever the speed.
      (D1.rounds.ferry_batch ?? []).map((x) => (D1.ordered ? x : 0)),
      D1.rounds.workbox ?? [],
    ),
    ratioTarget(
      {
        key: 'cold_start_vs_workbox',
        label: 'cold start: worker stopped with ops queued → first request on the wire ÷ workbox replay at start',
        kind: 'max',
        target: 1,
      },
      C.ferry ?? [],
      C.workbox ?? [],
    ),
    ratioTarget(
      { key: 'backlog_enqueue', label: `enqueue with ${s.backlog} pending ÷ none`, kind: 'max', target: 1.3 },
      BL.enqueue.full,
      BL.enqueue.empty,
    ),
    ratioTarget(
      { key: 'backlog_drain', label: `drain first 100 with ${s.backlog} pending ÷ none`, kind: 'max', target: 1.3 },
      BL.drain.full,
      BL.drain.empty,
    ),
    {
      key: 'heap_growth_mb',
      label: `worker heap growth draining ${raw.heap.drained} pending (batch mode)`,
      value: raw.heap.growth_mb,
      kind: 'max',
      target: 32,
      unit: 'MB',
    },
    {
      key: 'client_gzip_bytes',
      label: 'page client (@ferry/client), min+gzip',
      value: raw.size_bytes.client.gzipBytes,
      kind: 'max',
      target: 3 * 1024,
      unit: 'B',
    },
    {
      key: 'sw_gzip_bytes',
      label: 'service worker (sw + core + idb), min+gzip',
      value: raw.size_bytes.sw.gzipBytes,
      kind: 'max',
      target: 16 * 1024,
      unit: 'B',
    },
    ratioTarget(
      {
        key: 'storage_enqueue_latency_vs_floor',
        label: 'storage: enqueue latency ÷ put-in-own-tx (both strict)',
        kind: 'max',
        target: 1.3,
      },
      SL.ferry ?? [],
      SL.floor ?? [],
    ),
    ratioTarget(
      {
        key: 'storage_enqueue_latency_relaxed_vs_floor_relaxed',
        label: 'storage: enqueue latency ÷ put-in-own-tx (both relaxed)',
        kind: 'max',
        target: 1.3,
      },
      SL.ferry_relaxed ?? [],
      SL.floor_relaxed ?? [],
    ),
    ratioTarget(
      {
        key: 'storage_burst_vs_floor',
        label: `storage: burst of ${s.storageBurstN} (throughput) ÷ one big tx (both strict)`,
        kind: 'min',
        target: 0.5,
      },
      SB.ferry ?? [],
      SB.floor ?? [],
    ),
    ratioTarget(
      {
        key: 'storage_burst_relaxed_vs_floor_relaxed',
        label: `storage: burst of ${s.storageBurstN} (throughput) ÷ one big tx (both relaxed)`,
        kind: 'min',
        target: 0.5,
      },
      SB.ferry_relaxed ?? [],
      SB.floor_relaxed ?? [],
    ),
    ratioTarget(
      {
        key: 'storage_backlog_enqueue',
        label: `storage: enqueue with ${s.storageBacklog} pending ÷ empty`,
        kind: 'max',
        target: 1.3,
      },
      chunkMedians(SBL.enqueue.full, 32),
      chunkMedians(SBL.enqueue.empty, 32),
    ),
    ratioTarget(
      {
        key: 'storage_backlog_claim',
        label: `storage: claim 32 with ${s.storageBacklog} pending ÷ empty`,
        kind: 'max',
        target: 1.3,
      },
      SBL.claim.full,
      SBL.claim.empty,
    ),
  ];
}
