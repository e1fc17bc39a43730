import type { Operation, SendResult } from '@ferry/core';

/**
 * Traces the HTTP transport's sends: starts the span of one send of `ops` (one op, or a batch of one lane).
 * `otel(tracer)` from `@ferry/sw/otel` makes one. Without it the transport sends no `traceparent` and starts no
 * span.
 */
export type SendTracer = (ops: readonly Operation[]) => SendSpan;

/** One send's span, as the transport drives it. */
export interface SendSpan {
  /** Sent as the `traceparent` header of each request of the send. */
  readonly traceparent: string;
  /** Told of each answer the send got (a refreshed 401 gets two). */
  answered(response: Response): void;
  /** Ends the span with what the send came to: its result, or a batch's result per op sent (fewer when cut short). */
  end(results: SendResult | readonly SendResult[]): void;
}
