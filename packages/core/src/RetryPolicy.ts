import type { Random } from './Platform.ts';
import { systemRandom } from './Platform.ts';

export interface RetryPolicyOptions {
  /** Attempts before an op is `failed` (a dead letter). @default 8 */
  maxAttempts: number;
  /** @default 500 */
  baseDelayMs: number;
  /** @default 30000 */
  maxDelayMs: number;
  /** @default 2 */
  factor: number;
  /** Full jitter: a delay drawn uniformly from [0, backoff]. @default true */
  jitter: boolean;
}

export const RETRY_DEFAULTS: Readonly<RetryPolicyOptions> = {
  maxAttempts: 8,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: true,
};

/**
 * When to try again. The seed configured jitter and never applied it
 * (reference bug 7); here the random source is injected and always used
 * when `jitter` is on.
 */
export class RetryPolicy {
  readonly options: Readonly<RetryPolicyOptions>;
  readonly #random: Random;

  constructor(options: Partial<RetryPolicyOptions> = {}, random: Random = systemRandom) {
    const o = { ...RETRY_DEFAULTS, ...options };
    if (!Number.isInteger(o.maxAttempts) || o.maxAttempts < 1) throw new RangeError('maxAttempts must be an integer >= 1');
    if (!(o.baseDelayMs >= 0) || !(o.maxDelayMs >= o.baseDelayMs)) throw new RangeError('need 0 <= baseDelayMs <= maxDelayMs');
    if (!(o.factor >= 1)) throw new RangeError('factor must be >= 1');
    this.options = o;
    this.#random = random;
  }

  /** The upper bound of the delay after the `attempt`-th failure (1-based): `min(max, base·factor^(attempt-1))`. */
  backoffCap(attempt: number): number {
    const { baseDelayMs, factor, maxDelayMs } = this.options;
    return Math.min(maxDelayMs, baseDelayMs * factor ** Math.max(0, attempt - 1));
  }

  /**
   * The delay before the next attempt after the `attempt`-th failure.
   * @param retryAfterMs a server's `Retry-After`, which is a floor, never shortened by jitter
   */
  delay(attempt: number, retryAfterMs?: number): number {
    const cap = this.backoffCap(attempt);
    const backoff = this.options.jitter ? Math.floor(this.#random() * (cap + 1)) : cap;
    return Math.max(backoff, retryAfterMs ?? 0);
  }

  /** True when `attempt` spent attempts leave none. */
  exhausted(attempt: number): boolean {
    return attempt >= this.options.maxAttempts;
  }
}
