import type { Operation } from './Operation.ts';

/** The outcome of one send, exactly as the seed's `SendResult`, plus HTTP details. */
export interface SendResult {
  ok: boolean;
  /** Only read when `ok` is false: true for temporary failures. */
  retryable?: boolean;
  error?: string;
  status?: number;
  /** From `Retry-After`: the next attempt is not made before this many ms from now. */
  retryAfterMs?: number;
  /**
   * Set when a failure must not count against `maxAttempts` (a 401 whose
   * credentials were refreshed, for instance). A failure while the probe says
   * offline never counts, without this flag.
   */
  free?: boolean;
}

export interface SendContext {
  /** Aborted when the worker stops or the op's lease ends. */
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
}
