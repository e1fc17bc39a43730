import { describe, expect, it } from 'vitest';
import { RetryPolicy } from './RetryPolicy.ts';

describe('RetryPolicy', () => {
  it('defaults to 8 attempts, backoff from 500 ms doubling, full jitter', () => {
    expect(new RetryPolicy().options).toEqual({
      maxAttempts: 8,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      factor: 2,
      jitter: true,
      maxRetryAfterMs: 3_600_000,
      maxAgeMs: Infinity,
    });
  });

  it('never exceeds a fractional cap with full jitter', () => {
    const p = new RetryPolicy({ baseDelayMs: 10.5, maxDelayMs: 10.5 }, () => 0.999999);
    expect(p.delay(1)).toBeLessThanOrEqual(10.5);
    expect(p.delay(5)).toBeLessThanOrEqual(10.5);
  });

  it('caps what a Retry-After can impose', () => {
    const p = new RetryPolicy({ jitter: false }, () => 0);
    expect(p.delay(1, 99_999_999_000)).toBe(3_600_000);
    expect(new RetryPolicy({ jitter: false, maxRetryAfterMs: 5000 }).delay(1, 60_000)).toBe(5000);
    expect(p.delay(1, 2000)).toBe(2000);
  });

  it('backs off exponentially up to the cap', () => {
    const p = new RetryPolicy({ jitter: false });
    expect([1, 2, 3, 4, 7, 8, 20].map((n) => p.delay(n))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
  });

  it('applies full jitter: uniformly within [0, cap], using the injected random', () => {
    const lows = new RetryPolicy({}, () => 0);
    const highs = new RetryPolicy({}, () => 0.999_999_9);
    expect(lows.delay(3)).toBe(0);
    expect(highs.delay(3)).toBe(2000);
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const p = new RetryPolicy({}, rnd);
    const samples = Array.from({ length: 2000 }, () => p.delay(4));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThanOrEqual(4000);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(mean).toBeGreaterThan(1800);
    expect(mean).toBeLessThan(2200);
    expect(new Set(samples).size).toBeGreaterThan(500);
  });

  it('never goes below a Retry-After floor, even when jitter draws low', () => {
    const p = new RetryPolicy({}, () => 0);
    expect(p.delay(1, 7000)).toBe(7000);
    expect(new RetryPolicy({ jitter: false }).delay(7, 100)).toBe(30_000);
  });

  it('is exhausted once maxAttempts attempts are spent', () => {
    const p = new RetryPolicy({ maxAttempts: 3 });
    expect([1, 2, 3, 4].map((n) => p.exhausted(n))).toEqual([false, false, true, true]);
  });

  it('rejects nonsense settings with invalid-config', () => {
    const invalid = expect.objectContaining({ name: 'FerryError', code: 'invalid-config' });
    expect(() => new RetryPolicy({ maxAttempts: 0 })).toThrow(invalid);
    expect(() => new RetryPolicy({ baseDelayMs: 100, maxDelayMs: 10 })).toThrow(invalid);
    expect(() => new RetryPolicy({ factor: 0.5 })).toThrow(invalid);
    expect(() => new RetryPolicy({ maxRetryAfterMs: -1 })).toThrow(invalid);
    expect(() => new RetryPolicy({ maxAgeMs: 0 })).toThrow(invalid);
  });
});
