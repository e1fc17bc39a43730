import type { Operation, OperationStatus, Timers } from '@ferry/core';
import { FerryError } from '@ferry/core';
import type { ChangeSummary } from '@ferry/core/protocol';

export interface WhenDoneOptions {
  get: (id: string) => Promise<Operation | undefined>;
  /** The change feed (`client.subscribe`). */
  subscribe: (fn: (change: ChangeSummary) => void) => () => void;
  /** How often a waiting call asks again (ms). */
  recheckMs: number;
  timers: Timers;
}

export interface Waiter {
  /** Settles once the op is done or failed; rejects with `not-found` if it does not exist or is removed. */
  whenDone(id: string): Promise<Operation>;
  /** Every waiting call asks the worker again now (a kick, the page back online). */
  recheck(): void;
  /** Stops the re-check timer; waiting calls stay pending. */
  close(): void;
}

const isTerminal = (s: OperationStatus): boolean => s === 'done' || s === 'failed';

/**
 * The `whenDone` calls of one client. Each listens to the change feed
 * before it first looks, so a change between the two is not missed; while
 * any waits, one slow timer asks again for all of them, because a broadcast
 * can be lost (a worker killed between its commit and its broadcast). A
 * re-check that fails changes nothing: the wait goes on.
 */
export function waiter(o: WhenDoneOptions): Waiter {
  const waiting = new Set<() => void>();
  let timer: unknown;

  const recheck = (): void => {
    for (const check of waiting) check();
  };
  const arm = (): void => {
    if (timer !== undefined) o.timers.clearTimeout(timer);
    timer = waiting.size > 0 ? o.timers.setTimeout(() => (recheck(), arm()), o.recheckMs) : undefined;
  };

  const whenDone = (id: string): Promise<Operation> =>
    new Promise((resolve, reject) => {
      let settled = false;
      const settle = (op: Operation | undefined, err?: unknown): void => {
        if (settled || (op && !isTerminal(op.status))) return;
        settled = true;
        off();
        waiting.delete(quiet);
        if (waiting.size === 0) arm();
        if (op) resolve(op);
        else reject(err ?? new FerryError('not-found', `no operation ${JSON.stringify(id)}`));
      };
      // Once more on failure: the first request may have been the one that restarted a killed worker.
      const check = (): Promise<void> =>
        o
          .get(id)
          .catch(() => o.get(id))
          .then(
            (op) => settle(op),
            (err: unknown) => settle(undefined, err),
          );
      const quiet = (): void =>
        void o.get(id).then(
          (op) => settle(op),
          () => {},
        );
      const off = o.subscribe((change) => {
        if (change.op.id !== id) return;
        // Removed: `not-found`, as for an id never stored.
        if (change.type === 'remove') settle(undefined);
        else if (isTerminal(change.op.status)) void check();
      });
      waiting.add(quiet);
      if (waiting.size === 1) arm();
      void check();
    });

  return {
    whenDone,
    recheck,
    close() {
      waiting.clear();
      arm();
    },
  };
}
