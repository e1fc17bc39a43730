/** One span per send: attributes from the ops before it, from the answer and the results after it. */
import type { Operation } from '@ferry/core';
import type { OtelAttributeValue, OtelTracer } from '@ferry/core/internal';
import { OTEL_ERROR, formatTraceparent, parseTraceparent } from '@ferry/core/internal';
import type { SendSpan } from '../http/tracing.ts';
import { contextOf, parentOf } from './parent.ts';

/** `SpanKind.CLIENT`. */
const CLIENT = 2;

/**
 * Starts the span of one send of `ops`, a child of the first op's parent (see {@link parentOf}). A batch is one
 * request, so one span: in the first op's trace, with every op's id (`ferry.op.ids`) and a link to each other
 * op's parent.
 */
export function startSend(tracer: OtelTracer, ops: readonly Operation[]): SendSpan {
  const [first, ...rest] = ops as [Operation, ...Operation[]];
  const attributes: Record<string, OtelAttributeValue> = {
    'ferry.lane': first.lane,
    // Which send of the op this is: every failed send counts, spent attempt or not.
    'ferry.attempt': (first.failures ?? first.attempt) + 1,
    'http.request.method': rest.length === 0 ? first.method : 'POST',
  };
  if (rest.length === 0) attributes['ferry.op.id'] = first.id;
  else attributes['ferry.op.ids'] = ops.map((op) => op.id);
  const links = rest.map((op) => ({ context: parentOf(op) }));
  const parent = parentOf(first);
  const span = tracer.startSpan('ferry.attempt', { kind: CLIENT, attributes, links }, contextOf(parent));
  const own = formatTraceparent(span.spanContext());
  let answer: Response | undefined;
  return {
    // A tracer that makes no spans (OpenTelemetry's no-op one) gives all-zero ids: the op's trace goes on instead.
    traceparent: parseTraceparent(own) ? own : formatTraceparent(parent),
    answered: (res) => void (answer = res),
    end(result) {
      const results = Array.isArray(result) ? result : [result];
      if (answer) {
        span.setAttribute('http.response.status_code', answer.status);
        span.setAttribute('ferry.replayed', answer.headers.get('idempotent-replayed') === 'true');
      }
      if (rest.length > 0)
        span.setAttribute(
          'ferry.item.status_codes',
          results.map((r) => r.status ?? 0),
        );
      const failed = results.find((r) => !r.ok);
      const outcome = !failed ? 'done' : failed.hold !== undefined ? 'held' : failed.retryable ? 'retry' : 'failed';
      span.setAttribute('ferry.outcome', outcome);
      if (failed) {
        if (failed.retryAfterMs !== undefined) span.setAttribute('ferry.retry_after_ms', failed.retryAfterMs);
        // A send that spends no attempt: no answer from an unreachable origin, a 409 "in progress", a hold.
        if (failed.free) span.setAttribute('ferry.free', true);
        span.setStatus({ code: OTEL_ERROR, message: failed.error ?? `HTTP ${failed.status ?? 'error'}` });
      }
      span.end();
    },
  };
}
