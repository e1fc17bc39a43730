import { describe, expect, it } from 'vitest';
import { randomFaults } from './faults.ts';

const req = (key: string) => ({ method: 'POST', path: '/api/x', key, headers: {} });

describe('randomFaults', () => {
  it('gives the same fault to the same attempt of the same key, whatever the order', () => {
    const a = randomFaults({ seed: 7, rates: { unavailable: 0.3, reset: 0.3 } });
    const b = randomFaults({ seed: 7, rates: { unavailable: 0.3, reset: 0.3 } });
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    const forward = keys.map((k) => a(req(k), 1));
    const backward = [...keys].reverse().map((k) => b(req(k), 1));
    expect(forward).toEqual(backward.reverse());
    const other = randomFaults({ seed: 8, rates: { unavailable: 0.3, reset: 0.3 } });
    expect(keys.map((k) => other(req(k), 1))).not.toEqual(forward);
  });

  it('draws each fault at about its rate, and lets every key through after maxPerKey faults', () => {
    const plan = randomFaults({ seed: 1, rates: { unavailable: 0.2, inProgress: 0.1, slow: 0.1 }, maxPerKey: 2 });
    const n = 5000;
    const drawn = Array.from({ length: n }, (_, i) => plan(req(`k${i}`), 1));
    const share = (pred: (f: (typeof drawn)[number]) => boolean) => drawn.filter(pred).length / n;
    expect(share((f) => typeof f === 'object' && 'status' in f && f.status === 503)).toBeCloseTo(0.2, 1);
    expect(share((f) => f === 'in-progress')).toBeCloseTo(0.1, 1);
    expect(share((f) => typeof f === 'object' && 'latencyMs' in f)).toBeCloseTo(0.1, 1);
    expect(share((f) => f === 'pass')).toBeCloseTo(0.6, 1);
    expect(Array.from({ length: 100 }, (_, i) => plan(req(`k${i}`), 3)).every((f) => f === 'pass')).toBe(true);
  });

  it('refuses rates that are not probabilities with a typed error', () => {
    expect(() => randomFaults({ seed: 1, rates: { hang: 0.7, reset: 0.5 } })).toThrow(
      expect.objectContaining({ code: 'invalid-config' }),
    );
    expect(() => randomFaults({ seed: 1, rates: { hang: -0.1 } })).toThrow(
      expect.objectContaining({ code: 'invalid-config' }),
    );
  });
});
