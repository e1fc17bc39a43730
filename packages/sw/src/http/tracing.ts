import type { Operation, SendResult } from '@ferry/core';

/**
 * Traces the HTTP transport's sends: `otel(tracer)` from `@ferry/sw/otel` makes one. Without it the transport
 * sends no `traceparent` and starts no span.
 */
export interface SendTracer {
  /** Starts the span of one send of `ops`: one op, or a batch of one lane. */
  start(ops: readonly Operation[]): SendSpan;
}

/** One send's span, as the transport drives it. */
export interface SendSpan {
  /** Sent as the `traceparent` header of each request of the send. */
  readonly traceparent: string;
  /** Told of each answer the send got (a refreshed 401 gets two). */
  answered(response: Response): void;
  /** Ends the span with what the send came to: a result per op sent (fewer for a batch cut short). */
  end(results: readonly SendResult[]): void;
}
