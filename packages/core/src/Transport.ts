import type { Operation, ServerAnswer } from './Operation.ts';

/** A send the server took: the op is done. */
export interface SendSuccess {
  ok: true;
  /** The HTTP status, when the transport speaks HTTP. */
  status?: number;
  /**
   * What the server answered (status, body within the transport's cap, kept
   * headers): kept with the op as `op.answer`, so the app can show it.
   */
  answer?: ServerAnswer;
  // A failure's fields never appear on a success: read off a result not yet told apart, they are undefined.
  retryable?: never;
  error?: never;
  retryAfterMs?: never;
  free?: never;
  since?: never;
  unanswered?: never;
  hold?: never;
}

/** A send that did not get the op applied: retried later, held, or a dead letter. */
export interface SendFailure {
  ok: false;
  /** True for temporary failures (retried after a backoff); false for refusals (the op fails). */
  retryable: boolean;
  error?: string;
  status?: number;
  /** From `Retry-After`: the next attempt is not made before this many ms from now. */
  retryAfterMs?: number;
  /**
   * Set when a failure must not count against `maxAttempts`: no answer while
   * the op's origin answered nothing else (it is unreachable), or a `409`
   * saying the first request with this key is still running. A failure
   * while the probe says offline never counts, without this flag.
   */
  free?: boolean;
  /** What the server answered to a refusal, kept with the op as `op.answer` (see {@link SendSuccess.answer}). */
  answer?: ServerAnswer;
  /**
   * When the run of failures this one continues began (e.g. the first of a
   * run of 409 "in progress" answers), kept as `lastError.since` so that the
   * transport can bound such a run across worker restarts.
   */
  since?: number;
  /** True when no HTTP answer came back: network error, DNS, refused, reset, timeout with nothing received. */
  unanswered?: boolean;
  /**
   * Why the op cannot be sent again until something changes (its user's
   * credentials are missing, expired or were refused): it stays its lane's
   * head, held, and goes again once the Delivery releases it. Spends an
   * attempt only when `free` is not set.
   */
  hold?: string;
}

/** The outcome of one send, told apart by `ok`. */
export type SendResult = SendSuccess | SendFailure;

export interface SendContext {
  /** Aborted when the worker stops or the op's lease ends: nothing may go on the wire after that. */
  signal: AbortSignal;
}

/** Delivers ops. Must not throw: a thrown error is recorded as a retryable failure. */
export interface Transport {
  send(op: Operation, ctx: SendContext): Promise<SendResult>;
  /**
   * Optional batch mode: delivers consecutive ops of one lane in one exchange,
   * answering `results[i]` for `ops[i]`. The receiver must apply them in
   * order and stop at the first failure; a result left out (a shorter array)
   * means that op was not attempted, and it goes back to its lane without
   * spending an attempt. A failure of the whole exchange (network error,
   * timeout) is the first op's result. Used when the SyncWorker's `batchSize`
   * is above 1, for runs of two ops or more; single ops still go through `send`.
   */
  sendBatch?(ops: readonly Operation[], ctx: SendContext): Promise<SendResult[]>;
  /**
   * Optional: the earliest time `op` may be sent because its destination
   * asked to be left alone (a `Retry-After` on a 429 or 503 to the same
   * origin), or undefined. Lanes whose head is paused are not claimed until then,
   * and spend nothing.
   */
  pausedUntil?(op: Operation, now: number): number | undefined;
  /**
   * Optional: why `op` cannot be sent now and must wait for a release rather
   * than a time (no credentials for its user), or undefined. Such a lane head
   * is held (see `Delivery.release`), not claimed, and spends nothing.
   */
  holds?(op: Operation): string | undefined;
}
