/**
 * Ferry's batch wire format, types only: a batch is one `POST` of {@link BatchRequest}, answered `2xx` with
 * {@link BatchAnswer}, one result per op in the request's order. The worker's HTTP transport writes requests and
 * reads answers with these shapes; a server's batch handler reads and writes the same ones.
 *
 * @packageDocumentation
 */

/** One op of a batch: the op's intent, none of its bookkeeping. */
export interface BatchItem {
  /** The op's id (Ferry always sends it; a server must not rely on it). */
  id?: string;
  /** What happened, `message.send` (Ferry always sends it). */
  kind?: string;
  /** A path, or an absolute URL on the batch's own origin. */
  target: string;
  /** An HTTP method in capitals. */
  method: string;
  /** The op's `Idempotency-Key`, the same across its retries. */
  idempotencyKey: string;
  /** The op's JSON payload; absent for a method without a body. */
  payload?: unknown;
}

/** The body of a batch `POST`. */
export interface BatchRequest {
  ops: BatchItem[];
}

/** One result of a batch answer: what the op would have been answered alone. */
export interface BatchResult {
  /** The HTTP status the op alone would have had. */
  status: number;
  /** Why it was refused, for a person. */
  error?: string;
  /** A `Retry-After` value, seconds or an HTTP date, as the header would carry it. */
  retryAfter?: string;
  /**
   * The op's body, as the op alone would have been answered: parsed JSON, or text (Ferry keeps it with the op as
   * `op.answer.body`, a refusal's too). Left out when empty or too large.
   */
  body?: unknown;
}

/** The body of a `2xx` batch answer: `results[i]` answers `ops[i]`. */
export interface BatchAnswer {
  results: BatchResult[];
}
