import type { Clock, Timers } from '@ferry/core';

/** One send's time limit: its own timeout, or the caller's signal (lease end, stop), whichever comes first. */
export interface Deadline {
  /** Aborts at the deadline or with the caller's signal. */
  readonly signal: AbortSignal;
  readonly timedOut: boolean;
  /** The caller's signal aborted (not the timeout). */
  readonly outerAborted: boolean;
  /** The caller's signal (lease end, stop), for work after the send's own time is up. */
  readonly outer: AbortSignal;
  /** The timers the deadline runs on, for any wait bounded by it. */
  readonly timers: Timers;
  /** Milliseconds left before the timeout. */
  remaining(): number;
  /** Runs a hook that may never settle: rejects when the deadline passes. */
  race<T>(fn: () => T | Promise<T>): Promise<T>;
  dispose(): void;
}

export function deadline(outer: AbortSignal, timeoutMs: number, timers: Timers, clock: Clock): Deadline {
  const abort = new AbortController();
  const started = clock.now();
  let timedOut = false;
  const timer = timers.setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, timeoutMs);
  const onOuter = (): void => abort.abort();
  if (outer.aborted) abort.abort();
  else outer.addEventListener('abort', onOuter);
  return {
    signal: abort.signal,
    get timedOut() {
      return timedOut;
    },
    get outerAborted() {
      return outer.aborted;
    },
    outer,
    timers,
    remaining: () => (timedOut ? 0 : timeoutMs - (clock.now() - started)),
    race: <T>(fn: () => T | Promise<T>): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        if (abort.signal.aborted) return reject(new Error('deadline passed'));
        const onAbort = (): void => reject(new Error(timedOut ? 'timed out' : 'aborted'));
        abort.signal.addEventListener('abort', onAbort, { once: true });
        Promise.resolve()
          .then(fn)
          .then(resolve, reject)
          .finally(() => abort.signal.removeEventListener('abort', onAbort));
      }),
    dispose: () => {
      timers.clearTimeout(timer);
      outer.removeEventListener('abort', onOuter);
    },
  };
}
