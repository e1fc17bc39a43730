/** Small statistics for the bench runner, and the verdict of a target over its rounds. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/** One benchmark target: a ratio or figure and the bound it must keep. */
export interface Target {
  key: string;
  label: string;
  /** The median of `rounds` when there are rounds; else the one figure. */
  value: number;
  /** 'max': the figure must stay at or below the target; 'min': at or above. */
  kind: 'max' | 'min';
  target: number;
  unit?: string;
  /** The ratio in each round, both sides' figures from that same round. Absent for single figures (sizes, heap). */
  rounds?: number[];
}

/** `met` or `missed` when every round agrees; `unsettled` when some rounds meet the target and some miss it. */
export type Verdict = 'met' | 'missed' | 'unsettled';

export interface JudgedTarget extends Target {
  /** The smallest and largest of `rounds` (the figure itself when there are none). */
  min: number;
  max: number;
  verdict: Verdict;
}

const meets = (t: Target, x: number): boolean => (t.kind === 'max' ? x <= t.target : x >= t.target);

/** The target with its spread and verdict, figures rounded for the report. */
export function judge(t: Target): JudgedTarget {
  const xs = t.rounds?.length ? t.rounds : [t.value];
  const met = xs.filter((x) => meets(t, x)).length;
  return {
    ...t,
    value: round(t.value),
    ...(t.rounds && { rounds: t.rounds.map((x) => round(x)) }),
    min: round(Math.min(...xs)),
    max: round(Math.max(...xs)),
    verdict: met === xs.length ? 'met' : met === 0 ? 'missed' : 'unsettled',
  };
}

/** A ratio target over rounds: round i's ratio is `a[i] / b[i]`; its value, the median of those. */
export function ratioTarget(t: Omit<Target, 'value' | 'rounds'>, a: readonly number[], b: readonly number[]): Target {
  const rounds = a.map((x, i) => x / (b[i] as number)).filter((x) => Number.isFinite(x));
  return { ...t, value: median(rounds), rounds };
}
