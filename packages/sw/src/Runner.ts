import type { Clock, Outbox, SyncWorker, Timers } from '@ferry/core';
import { systemClock, systemTimers } from '@ferry/core';
import { LOCK_NAME } from './protocol.ts';

/** The part of the Web Locks API the runner uses. */
export interface LockManagerLike {
  request<T>(name: string, options: { signal?: AbortSignal }, fn: (lock: unknown) => Promise<T>): Promise<T>;
}

export interface RunnerOptions {
  outbox: Outbox;
  worker: SyncWorker;
  /** @default `navigator.locks`, read at each drain; without it the runner drains unlocked and relies on leases alone */
  locks?: () => LockManagerLike | undefined;
  /** @default `navigator.onLine`, read at each use */
  isOnline?: () => boolean;
  /** The Web Lock runners of this app share (see ferryNames). @default 'ferry-runner' */
  lockName?: string;
  /** While offline with work due, how often to look again without a signal. @default 10000 */
  offlineRecheckMs?: number;
  /** After an unexpected error, wait this long before draining again. @default 1000 */
  errorBackoffMs?: number;
  clock?: Clock;
  timers?: Timers;
  onError?: (err: unknown) => void;
}

/** Ready work found right after a drain is retried no sooner than this, so a bug cannot spin. */
const MIN_DELAY_MS = 50;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Drains the outbox with the SyncWorker, one runner at a time across the
 * service worker and every tab: it holds the `ferry-runner` Web Lock while
 * it sends and releases it only once its sends have settled. A lock dies with
 * its holder, so whoever gets it next may take back every in-flight op
 * leased by someone else (`requeueOrphans`). While alive, it sets its own
 * timer for the next due op.
 */
export class Runner {
  readonly #o: Required<Omit<RunnerOptions, 'onError'>>;
  readonly #onError: (err: unknown) => void;
  #current: Promise<void> | undefined;
  #again = false;
  #timer: unknown;
  #closed = false;
  readonly #abort = new AbortController();

  constructor(options: RunnerOptions) {
    this.#o = {
      locks: () => navigator.locks,
      lockName: LOCK_NAME,
      isOnline: () => navigator.onLine,
      offlineRecheckMs: 10_000,
      errorBackoffMs: 1_000,
      clock: systemClock,
      timers: systemTimers,
      ...options,
    };
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * Sends everything that is ready, under the lock. Resolves once a round
   * found nothing more to send (or another runner held the lock and this one
   * took its turn after it). Calls made meanwhile join the current drain,
   * which then looks once more before it ends. Never rejects.
   */
  drain(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#current) {
      this.#again = true;
      return this.#current;
    }
    this.#clearTimer();
    const run = this.#locked()
      .catch((err: unknown) => {
        if (!this.#closed) this.#onError(err);
      })
      .then(() => {
        this.#current = undefined;
        return this.#schedule();
      });
    this.#current = run;
    return run;
  }

  /** Stops the timer, gives up a lock request still waiting, and waits for the drain in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#clearTimer();
    this.#abort.abort();
    await this.#current;
  }

  #locked(): Promise<void> {
    // Offline, a drain could only spend transactions finding nothing to send (and delay the
    // next enqueue behind them): the page forwards `online`, and the offline re-check follows.
    if (!this.#o.isOnline()) return Promise.resolve();
    const locks = this.#o.locks();
    // Without Web Locks, another runner may be alive: leave its leases to expire.
    if (!locks) return this.#rounds();
    return locks.request(this.#o.lockName, { signal: this.#abort.signal }, async () => {
      // Whoever held the lock before is gone or done: its leases are orphans.
      await this.#o.outbox.delivery.requeueOrphans(this.#o.worker.live);
      await this.#rounds();
    });
  }

  async #rounds(): Promise<void> {
    do {
      this.#again = false;
      await this.#o.worker.drain();
    } while (this.#again && !this.#closed);
  }

  async #schedule(): Promise<void> {
    if (this.#closed) return;
    let delay: number;
    try {
      // Offline: no need to ask the store; the page forwards `online`, and we look again now and then.
      const next = this.#o.isOnline()
        ? await this.#o.outbox.delivery.nextWakeAt()
        : this.#o.clock.now() + this.#o.offlineRecheckMs;
      if (next === undefined) return;
      delay = Math.max(MIN_DELAY_MS, next - this.#o.clock.now());
      // Offline: the page forwards `online`; meanwhile look again now and then.
      if (!this.#o.isOnline()) delay = Math.max(delay, this.#o.offlineRecheckMs);
    } catch (err) {
      this.#onError(err);
      delay = this.#o.errorBackoffMs;
    }
    if (this.#closed || this.#current) return;
    this.#clearTimer();
    this.#timer = this.#o.timers.setTimeout(
      () => {
        this.#timer = undefined;
        void this.drain();
      },
      Math.min(delay, MAX_TIMER_MS),
    );
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
