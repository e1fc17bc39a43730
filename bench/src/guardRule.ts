/**
 * The regression guard's rule: a figure regressed only when the tree under
 * test lost to the baseline in every round, each time by more than two copies
 * of the baseline ever differed from each other in any round. One noisy
 * round cannot fail it; a consistent loss that is larger than the noise does.
 */

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
  /** Per round, how much slower the tree under test was than the baseline (1.2: 20 % worse; below 1: better). */
  loss: number[];
  /** Per round, the same for the baseline's copy. */
  noise: number[];
  /** The largest difference between the two copies, as a factor ≥ 1. */
  tolerance: number;
  regressed: boolean;
}

const slowdown = (better: 'lower' | 'higher', x: number, base: number): number =>
  better === 'lower' ? x / base : base / x;

export function guardVerdict(f: GuardFigure): GuardVerdict {
  const loss = f.b.map((x, i) => slowdown(f.better, x, f.a[i] as number));
  const noise = f.a2.map((x, i) => slowdown(f.better, x, f.a[i] as number));
  const tolerance = Math.max(1, ...noise.map((x) => Math.max(x, 1 / x)));
  return { name: f.name, loss, noise, tolerance, regressed: loss.length > 0 && Math.min(...loss) > tolerance };
}
