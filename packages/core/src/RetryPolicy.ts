import type { Random } from './Platform.ts';
import { systemRandom } from './Platform.ts';
import { FerryError } from './FerryError.ts';

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
  /**
   * The longest wait a server can impose: an op's `Retry-After`, and the pause of every lane sending to an origin
   * that asked for one (`Transport.pausedUntil`); a longer one is cut to this. @default 3600000 (one hour)
   */
  maxRetryAfterMs: number;
  /**
   * An op that has waited longer than this since it was queued fails (a dead
   * letter, its reason in `lastError`) at its next failed send or claim.
   * @default Infinity (none)
   */
  maxAgeMs: number;
}

export const RETRY_DEFAULTS: Readonly<RetryPolicyOptions> = {
  maxAttempts: 8,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: true,
  maxRetryAfterMs: 60 * 60 * 1000,
  maxAgeMs: Infinity,
};

/**
 * When to try again. With `jitter` on, every delay is drawn from the
 * injected random source (full jitter), so runners that failed together do
 * not retry together.
 */
export class RetryPolicy {
  readonly options: Readonly<RetryPolicyOptions>;
  readonly #random: Random;

  constructor(options: Partial<RetryPolicyOptions> = {}, random: Random = systemRandom) {
    const o = { ...RETRY_DEFAULTS, ...options };
    if (!Number.isInteger(o.maxAttempts) || o.maxAttempts < 1)
      throw new FerryError('invalid-config', 'maxAttempts must be an integer >= 1');
    if (!(o.baseDelayMs >= 0) || !(o.maxDelayMs >= o.baseDelayMs))
      throw new FerryError('invalid-config', 'need 0 <= baseDelayMs <= maxDelayMs');
    if (!(o.factor >= 1)) throw new FerryError('invalid-config', 'factor must be >= 1');
    if (!(o.maxRetryAfterMs >= 0)) throw new FerryError('invalid-config', 'maxRetryAfterMs must be >= 0');
    if (!(o.maxAgeMs > 0)) throw new FerryError('invalid-config', 'maxAgeMs must be > 0');
    this.options = o;
    this.#random = random;
  }

  /** The upper bound of the delay after the `attempt`-th failure (1-based): `min(max, base·factor^(attempt-1))`. */
  backoffCap(attempt: number): number {
    const { baseDelayMs, factor, maxDelayMs } = this.options;
    return Math.min(maxDelayMs, baseDelayMs * factor ** Math.max(0, attempt - 1));
  }

  /**
   * The delay before the next attempt after the `failures`-th failed send in a row.
   * @param retryAfterMs a server's `Retry-After`, which is a floor, never shortened by jitter (capped by `maxRetryAfterMs`)
   */
  delay(failures: number, retryAfterMs?: number): number {
    const cap = this.backoffCap(failures);
    // floor(cap) + 1 values: a fractional cap can never be exceeded by rounding.
    const backoff = this.options.jitter ? Math.min(cap, Math.floor(this.#random() * (Math.floor(cap) + 1))) : cap;
    return Math.max(backoff, this.retryAfter(retryAfterMs));
  }

  /** A server's `Retry-After`, capped by `maxRetryAfterMs`; 0 when absent. */
  retryAfter(retryAfterMs: number | undefined): number {
    return Math.min(Math.max(0, retryAfterMs ?? 0), this.options.maxRetryAfterMs);
  }

  /** True when an op queued at `createdAt` has waited longer than `maxAgeMs` at `now`. */
  tooOld(createdAt: number, now: number): boolean {
    return now - createdAt > this.options.maxAgeMs;
  }

  /** True when `attempt` spent attempts leave none. */
  exhausted(attempt: number): boolean {
    return attempt >= this.options.maxAttempts;
  }
}
