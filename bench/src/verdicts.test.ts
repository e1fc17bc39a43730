import { describe, expect, it } from 'vitest';
import { guardVerdict } from './guardRule.ts';
import { judge, ratioTarget } from './stats.ts';

describe('judge: a target over its rounds', () => {
  const latency = { key: 'k', label: 'l', kind: 'max', target: 1.3 } as const;

  it('is met when every round meets the target, missed when none does, with the rounds’ spread', () => {
    const met = judge(ratioTarget(latency, [1.1, 1.2, 1.0], [1, 1, 1]));
    expect(met).toMatchObject({ verdict: 'met', value: 1.1, min: 1, max: 1.2 });
    expect(judge(ratioTarget(latency, [2, 3, 1.5], [1, 1, 1])).verdict).toBe('missed');
  });

  it('is unsettled when the rounds disagree, whichever side the median falls on', () => {
    expect(judge(ratioTarget(latency, [1.1, 1.2, 1.4], [1, 1, 1])).verdict).toBe('unsettled');
    expect(judge(ratioTarget(latency, [1.4, 1.5, 1.2], [1, 1, 1])).verdict).toBe('unsettled');
  });

  it('reads a throughput target the other way, and a single figure as one round', () => {
    const burst = { key: 'b', label: 'b', kind: 'min', target: 0.5 } as const;
    expect(judge(ratioTarget(burst, [60, 70], [100, 100])).verdict).toBe('met');
    expect(judge({ ...burst, value: 0.4 })).toMatchObject({ verdict: 'missed', min: 0.4, max: 0.4 });
  });
});

describe('guardVerdict: a regression is worse than both copies of the baseline in every round', () => {
  const a = [10, 10, 10, 10, 10];
  const a2 = [10.5, 9.8, 12, 10, 9.6]; // round 3: the copies 20 % apart

  it('fails when every round is worse than both copies', () => {
    const v = guardVerdict({ name: 'latency', better: 'lower', a, a2, b: [12, 11, 13, 12, 11.5] });
    expect(v.regressed).toBe(true);
    expect(v.margin[2]).toBeCloseTo(13 / 12, 5);
  });

  it('passes when one round is within the copies’ difference, however bad the others', () => {
    expect(guardVerdict({ name: 'latency', better: 'lower', a, a2, b: [20, 20, 11.9, 20, 20] }).regressed).toBe(false);
    expect(guardVerdict({ name: 'latency', better: 'lower', a, a2, b: [20, 20, 10, 20, 20] }).regressed).toBe(false);
  });

  it('passes a consistent loss below 5 %', () => {
    const a2Tight = [9.9, 9.9, 9.9, 9.9, 9.9];
    const b = [10.3, 10.3, 10.3, 10.3, 10.3];
    expect(guardVerdict({ name: 'latency', better: 'lower', a, a2: a2Tight, b }).regressed).toBe(false);
  });

  it('counts a lower throughput as the loss', () => {
    const slower = guardVerdict({ name: 'drain', better: 'higher', a, a2: a, b: [8, 8, 8, 8, 8] });
    expect(slower.regressed).toBe(true);
    expect(guardVerdict({ name: 'drain', better: 'higher', a, a2: a, b: [12, 12, 12, 12, 12] }).regressed).toBe(false);
  });
});
