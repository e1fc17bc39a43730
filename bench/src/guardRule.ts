/**
 * The regression guard's rule: a figure regressed only when, in every round,
 * the tree under test did worse than both copies of the baseline (so by more
 * than the copies differed from each other in that round), and its median
 * loss is above MIN_LOSS. When the three sides are alike, the tree under
 * test is the worst of three in a round one time in three, in all of 5
 * rounds about one time in 240: noise alone rarely fails it; a consistent
 * loss larger than the noise does.
 */
import { median } from './stats.ts';

/** Losses smaller than this (5 %) are not failed, however consistent. */
export const MIN_LOSS = 1.05;

/** Per round, a figure of each side from that same round. */
export interface GuardFigure {
  name: string;
  better: 'lower' | 'higher';
  /** The baseline. */
  a: number[];
  /** A second copy of the baseline, on its own origin: the noise. */
  a2: number[];
  /** The tree under test. */
  b: number[];
}

export interface GuardVerdict {
  name: string;
  /** Per round, how much worse the tree under test did than the baseline (1.2: 20 % worse; below 1: better). */
  loss: number[];
  /** Per round, the same for the baseline's copy. */
  noise: number[];
  /** Per round, the tree under test against the worse of the two copies (above 1: worse than both). */
  margin: number[];
  regressed: boolean;
}

const slowdown = (better: 'lower' | 'higher', x: number, base: number): number =>
  better === 'lower' ? x / base : base / x;

export function guardVerdict(f: GuardFigure): GuardVerdict {
  const loss = f.b.map((x, i) => slowdown(f.better, x, f.a[i] as number));
  const noise = f.a2.map((x, i) => slowdown(f.better, x, f.a[i] as number));
  const margin = loss.map((l, i) => l / Math.max(1, noise[i] as number));
  const regressed = margin.length >= 3 && margin.every((m) => m > 1) && median(loss) > MIN_LOSS;
  return { name: f.name, loss, noise, margin, regressed };
}
