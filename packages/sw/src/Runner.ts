import type { Clock, Outbox, SyncWorker, Timers } from '@ferry/core';
import { DrainLoop } from '@ferry/core/internal';
import { LOCK_NAME } from '@ferry/core/protocol';

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

/**
 * Drains the outbox with the SyncWorker, one runner at a time across the
 * service worker and every tab: it holds the `ferry-runner` Web Lock while
 * it sends and releases it only once its sends have settled. A lock dies with
 * its holder, so whoever gets it next may take back every in-flight op
 * leased by someone else (`drain({ orphans: true })`). While alive, it sets its own
 * timer for the next due op (core's `DrainLoop` schedules).
 */
export class Runner {
  readonly #outbox: Outbox;
  readonly #worker: SyncWorker;
  readonly #locks: () => LockManagerLike | undefined;
  readonly #lockName: string;
  readonly #loop: DrainLoop;
  readonly #abort = new AbortController();

  constructor(options: RunnerOptions) {
    this.#outbox = options.outbox;
    this.#worker = options.worker;
    this.#locks = options.locks ?? (() => navigator.locks);
    this.#lockName = options.lockName ?? LOCK_NAME;
    this.#loop = new DrainLoop({
      drain: () => this.#locked(),
      nextWakeAt: () => this.#outbox.delivery.nextWakeAt(),
      isOnline: options.isOnline ?? (() => navigator.onLine),
      ...(options.offlineRecheckMs !== undefined && { offlineRecheckMs: options.offlineRecheckMs }),
      ...(options.errorBackoffMs !== undefined && { errorBackoffMs: options.errorBackoffMs }),
      ...(options.clock && { clock: options.clock }),
      ...(options.timers && { timers: options.timers }),
      ...(options.onError && { onError: options.onError }),
    });
  }

  /**
   * Sends everything that is ready, under the lock. Resolves once a round
   * found nothing more to send (or another runner held the lock and this one
   * took its turn after it). Calls made meanwhile join the current drain,
   * which then looks once more before it ends. Never rejects.
   */
  drain(): Promise<void> {
    return this.#loop.wake();
  }

  /** Stops the timer, gives up a lock request still waiting, and waits for the drain in progress. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#loop.close();
  }

  /** One drain under the lock. @returns how many ops it attempted */
  #locked(): Promise<number> {
    const locks = this.#locks();
    // Without Web Locks, another runner may be alive: leave its leases to expire.
    if (!locks) return this.#worker.drain();
    // Whoever held the lock before is gone or done: its leases are orphans, taken back by the first claim.
    return locks.request(this.#lockName, { signal: this.#abort.signal }, () => this.#worker.drain({ orphans: true }));
  }
}
