/** Small statistics for the bench runner. */
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
  value: number;
  /** 'max': the figure must stay at or below the target; 'min': at or above. */
  kind: 'max' | 'min';
  target: number;
  unit?: string;
}
