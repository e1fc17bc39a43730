import type { Clock, Timers } from '../Platform.ts';
import { systemClock, systemTimers } from '../Platform.ts';

/** The longest delay a `setTimeout` keeps (a longer one fires at once). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DrainLoopOptions {
  /** One drain: sends until nothing is ready. @returns how many ops it attempted */
  drain: () => Promise<number>;
  /** When the next stored op is due, or undefined when none is stored. */
  nextWakeAt: () => Promise<number | undefined>;
  /** Offline, no drain runs: the loop only looks again now and then. @default always online */
  isOnline?: () => boolean;
  /** While offline with work stored, how often to look again without a signal. @default 10000 */
  offlineRecheckMs?: number;
  /** After an unexpected error, wait this long before draining again. @default 1000 */
  errorBackoffMs?: number;
  /** A drain that attempted nothing is followed by the next one no sooner than this, so a bug cannot spin. @default 50 */
  minDelayMs?: number;
  /** @default the system clock */
  clock?: Clock;
  /** @default the system timers */
  timers?: Timers;
  /** Told about unexpected errors (of a drain or of `nextWakeAt`), never after `close`. @default ignore */
  onError?: (err: unknown) => void;
}

/**
 * The one scheduler of delivery: drains, then sleeps on the injected timers until the next op is due, and
 * while offline looks again every `offlineRecheckMs`. Invariants: at most one drain runs at a time; a `wake`
 * during a drain makes it drain once more before it sleeps; a drain that attempted something is followed by
 * another at once; with nothing stored (and online) no timer is left; after `close` nothing runs; offline, a
 * wake finding a look already set within `offlineRecheckMs` leaves it (offline, a look only drains nothing).
 */
export class DrainLoop {
  readonly #drain: () => Promise<number>;
  readonly #nextWakeAt: () => Promise<number | undefined>;
  readonly #isOnline: () => boolean;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #o: { offlineRecheckMs: number; errorBackoffMs: number; minDelayMs: number };
  readonly #onError: (err: unknown) => void;
  #current: Promise<void> | undefined;
  #again = false;
  #timer: unknown;
  /** When the pending timer fires (the clock's time). */
  #timerAt = 0;
  #closed = false;

  constructor(options: DrainLoopOptions) {
    this.#drain = options.drain;
    this.#nextWakeAt = options.nextWakeAt;
    this.#isOnline = options.isOnline ?? (() => true);
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#onError = options.onError ?? (() => {});
    this.#o = {
      offlineRecheckMs: options.offlineRecheckMs ?? 10_000,
      errorBackoffMs: options.errorBackoffMs ?? 1_000,
      minDelayMs: options.minDelayMs ?? 50,
    };
  }

  /**
   * Drains now, or makes the drain in progress look once more. Resolves once the drain has ended and the
   * next wake is scheduled. Never rejects.
   */
  wake(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#current) {
      this.#again = true;
      return this.#current;
    }
    // Offline, a wake could only read the next due time to set the look it already has.
    if (this.#timer !== undefined && this.#timerAt <= this.#clock.now() + this.#o.offlineRecheckMs && !this.#isOnline())
      return Promise.resolve();
    this.#clearTimer();
    const run = this.#run().finally(() => {
      this.#current = undefined;
    });
    this.#current = run;
    return run;
  }

  /** Stops the timer and waits for the drain in progress; later wakes do nothing. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#clearTimer();
    await this.#current;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #run(): Promise<void> {
    for (;;) {
      this.#again = false;
      let delay: number | undefined;
      // Offline, a drain could only spend transactions finding nothing to send.
      if (this.#isOnline()) {
        try {
          if ((await this.#drain()) > 0) this.#again = true;
        } catch (err) {
          this.#report(err);
          delay = this.#o.errorBackoffMs;
        }
      }
      if (this.#closed) return;
      if (this.#again) continue;
      if (delay === undefined) delay = await this.#delay();
      if (this.#closed) return;
      // Woken while it looked for the next due op: that wake is a drain too.
      if (this.#again) continue;
      if (delay === undefined) return;
      this.#timerAt = this.#clock.now() + delay;
      this.#timer = this.#timers.setTimeout(
        () => {
          this.#timer = undefined;
          void this.wake();
        },
        Math.min(delay, MAX_TIMER_MS),
      );
      return;
    }
  }

  /** How long to sleep after a drain; undefined: until woken. */
  async #delay(): Promise<number | undefined> {
    try {
      const next = await this.#nextWakeAt();
      if (next === undefined) return undefined;
      const delay = Math.max(this.#o.minDelayMs, next - this.#clock.now());
      // Offline: the online signal wakes the loop; meanwhile it looks again now and then.
      return this.#isOnline() ? delay : Math.max(delay, this.#o.offlineRecheckMs);
    } catch (err) {
      this.#report(err);
      return this.#o.errorBackoffMs;
    }
  }

  #report(err: unknown): void {
    if (!this.#closed) this.#onError(err);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
