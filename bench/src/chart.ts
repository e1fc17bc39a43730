/**
 * The bench's chart: one panel per scenario, a horizontal bar per side (Ferry,
 * its floor, workbox) at the median of its rounds, with a whisker from the
 * smallest to the largest round. Plain SVG text, no dependency; each panel
 * has its own scale, since the scenarios have different units.
 */
import { median } from './stats.ts';

type Kind = 'ferry' | 'ferry_relaxed' | 'ferry_batch' | 'floor' | 'floor_relaxed' | 'workbox';
const STYLE: Record<Kind, { label: string; color: string }> = {
  ferry: { label: 'Ferry', color: '#2563eb' },
  ferry_relaxed: { label: 'Ferry, relaxed', color: '#93c5fd' },
  ferry_batch: { label: 'Ferry, batch mode', color: '#1e3a8a' },
  floor: { label: 'floor', color: '#4b5563' },
  floor_relaxed: { label: 'floor, relaxed', color: '#d1d5db' },
  workbox: { label: 'workbox', color: '#f59e0b' },
};

export interface Panel {
  title: string;
  unit: string;
  better: 'lower' | 'higher';
  /** Per side, its figure in each round. */
  rounds: Partial<Record<Kind, number[]>>;
  /** The floor's name in this scenario, when it is not "floor" (e.g. raw fetch). */
  floorLabel?: string;
}

type Rounds = Record<string, number[]>;
const pick = (rounds: Rounds | undefined, kinds: Kind[]): Partial<Record<Kind, number[]>> =>
  Object.fromEntries(kinds.filter((k) => rounds?.[k]?.length).map((k) => [k, rounds?.[k]]));

/** The panels a `pnpm bench` result draws (a scenario the run did not measure is left out). */
export function benchPanels(raw: Record<string, { rounds?: Rounds; n?: number; lanes?: number } | undefined>): Panel[] {
  const both: Kind[] = ['ferry', 'floor', 'ferry_relaxed', 'floor_relaxed', 'workbox'];
  const panels: Panel[] = [
    {
      title: 'enqueue latency, page → worker',
      unit: 'ms',
      better: 'lower',
      rounds: pick(raw.enqueue_latency_ms?.rounds, both),
    },
    {
      title: `burst of ${raw.burst_ops_per_s?.n ?? ''}`,
      unit: 'ops/s',
      better: 'higher',
      rounds: pick(raw.burst_ops_per_s?.rounds, both),
    },
    {
      title: `drain ${raw.drain_ops_per_s?.n ?? ''} over ${raw.drain_ops_per_s?.lanes ?? ''} lanes`,
      unit: 'ops/s',
      better: 'higher',
      rounds: pick(raw.drain_ops_per_s?.rounds, ['ferry', 'floor', 'workbox']),
      floorLabel: 'raw fetch',
    },
    {
      title: `drain ${raw.drain_one_lane_ops_per_s?.n ?? ''} in one lane`,
      unit: 'ops/s',
      better: 'higher',
      rounds: pick(raw.drain_one_lane_ops_per_s?.rounds, ['ferry_batch', 'ferry', 'floor', 'workbox']),
      floorLabel: 'raw fetch',
    },
    {
      title: 'cold start → first request on the wire',
      unit: 'ms',
      better: 'lower',
      rounds: pick(raw.cold_start_ms?.rounds, ['ferry', 'workbox']),
    },
    {
      title: 'storage: enqueue latency (page, no worker)',
      unit: 'ms',
      better: 'lower',
      rounds: pick(raw.storage_enqueue_latency_ms?.rounds, both),
      floorLabel: 'put in own tx',
    },
    {
      title: `storage: burst of ${raw.storage_burst_ops_per_s?.n ?? ''}`,
      unit: 'ops/s',
      better: 'higher',
      rounds: pick(raw.storage_burst_ops_per_s?.rounds, both),
      floorLabel: 'one big tx',
    },
  ];
  return panels.filter((p) => Object.keys(p.rounds).length > 0);
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString('en') : String(Number(x.toPrecision(3))));

const W = 760;
const LABEL = 170;
const BARS = 450;
const ROW = 20;
const HEAD = 26;
const GAP = 14;

/** The SVG of `panels`, with `caption` (lines: date and load, machine) under the title. */
export function chartSvg(panels: Panel[], caption: readonly string[]): string {
  const out: string[] = [];
  let y = 42 + 16 * caption.length;
  for (const p of panels) {
    const sides = Object.entries(p.rounds) as [Kind, number[]][];
    const top = Math.max(...sides.flatMap(([, xs]) => xs)) * 1.08 || 1;
    const x = (v: number): number => LABEL + (v / top) * BARS;
    out.push(
      `<text x="10" y="${y + 16}" class="t">${esc(p.title)} <tspan class="n">(${p.unit}, ${p.better} is better)</tspan></text>`,
    );
    y += HEAD;
    for (const [kind, xs] of sides) {
      const m = median(xs);
      const lo = Math.min(...xs);
      const hi = Math.max(...xs);
      // Where both durabilities ran, the default's bars say so too.
      const strict = p.rounds.ferry_relaxed && (kind === 'ferry' || kind === 'floor') ? ', strict' : '';
      const named = p.floorLabel ? STYLE[kind].label.replace('floor', p.floorLabel) : STYLE[kind].label;
      const label = `${named}${strict}`;
      const mid = y + ROW / 2 - 1;
      out.push(
        `<text x="${LABEL - 8}" y="${mid + 4}" text-anchor="end">${esc(label)}</text>`,
        `<rect x="${LABEL}" y="${y + 3}" width="${(x(m) - LABEL).toFixed(1)}" height="${ROW - 8}" fill="${STYLE[kind].color}"><title>${esc(label)}: median ${fmt(m)} ${p.unit}, rounds ${fmt(lo)}–${fmt(hi)}</title></rect>`,
        `<path d="M${x(lo).toFixed(1)} ${mid}H${x(hi).toFixed(1)}M${x(lo).toFixed(1)} ${mid - 5}v10M${x(hi).toFixed(1)} ${mid - 5}v10" class="w"/>`,
        `<text x="${(x(hi) + 6).toFixed(1)}" y="${mid + 4}" class="n">${fmt(m)}${lo === hi ? '' : ` (${fmt(lo)}–${fmt(hi)})`}</text>`,
      );
      y += ROW;
    }
    y += GAP;
  }
  const h = y + 6;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-labelledby="title">`,
    '<title id="title">Ferry beside its floor and workbox-background-sync, per scenario: bars at the median of the rounds, whiskers from the smallest to the largest round</title>',
    '<style>text{font:12px system-ui,sans-serif;fill:#111827}.t{font-weight:600;font-size:13px}.n{fill:#4b5563;font-weight:400}.w{stroke:#111827;stroke-width:1.2;fill:none}</style>',
    `<rect width="${W}" height="${h}" fill="#fff"/>`,
    '<text x="10" y="20" class="t">pnpm bench: Ferry, its floor and workbox (bar: median of rounds; whisker: min–max)</text>',
    ...caption.map((line, i) => `<text x="10" y="${38 + 16 * i}" class="n">${esc(line)}</text>`),
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
