import type { OperationStatus } from '@ferry/core';

/** Ops by status. */
export type StatusCounts = Record<OperationStatus, number>;

/**
 * The current drain: the ops that were unsent when the worker began sending,
 * and those that joined while it sent. See {@link FerryStatus.drain}.
 */
export interface DrainProgress {
  /** When this page saw the drain begin (its first claim, or a load that found ops in flight). */
  startedAt: number;
  /** The drain's ops: unsent (pending and not held, or in flight) when it began, or since. */
  total: number;
  /** Those delivered. */
  done: number;
  /** Those that failed for good (dead letters). */
  failed: number;
}

/** One snapshot of the queue as a UI shows it. Plain, frozen-by-convention data: a new object after each change. */
export interface FerryStatus {
  /** False until the first load answered: every count is then 0. */
  loaded: boolean;
  /** `navigator.onLine` as this page sees it (its `online`/`offline` events). */
  online: boolean;
  /** What the worker's network probe said at the last load; null before one. */
  hostOnline: boolean | null;
  /** Every op by status, as `stats()` counts them. */
  counts: StatusCounts;
  /** Per lane name (a lane of several users counts all of them); lanes with no ops are absent. */
  lanes: Readonly<Record<string, StatusCounts>>;
  /** Per user (`Operation.user`); nobody's ops are only in `counts` and `lanes`. */
  users: Readonly<Record<string, StatusCounts>>;
  /**
   * Pending ops of held lanes (counted in `pending` too): a lane whose head is held (`Operation.held`: its
   * user's credentials, a session refusal) sends nothing, so every pending op of it waits.
   */
  held: number;
  /**
   * The earliest `nextAttemptAt` of the pending ops not in a held lane (wall-clock ms), or
   * null when there are none. A time in the past means due now: the op waits for the
   * worker, the network, or the op ahead of it in its lane.
   */
  nextRetryAt: number | null;
  /** When the last op was delivered (a `done`), as far as this page knows; null if never. */
  lastSyncedAt: number | null;
  /**
   * Progress of the current drain, or null when none runs. A drain begins when an op goes
   * in flight while no drain is current (or a load finds one in flight), and ends when no
   * op is unsent (pending in a lane that is not held, or in flight): every op it counted was delivered,
   * failed for good, removed, or is held. An op joins it when it becomes unsent during the
   * drain (enqueued, retried, released); one removed or held before it was delivered leaves
   * it. `done + failed <= total`; ops waiting for a retry keep the drain open.
   */
  drain: DrainProgress | null;
}
