/**
 * @ferry/client/otel: OpenTelemetry tracing of enqueues, kept out of the default bundle.
 * `createFerryClient({ tracer: otel(trace.getTracer('my-app')) })`.
 *
 * @packageDocumentation
 */
import { FerryError } from '@ferry/core';
import type { OtelTracer } from '@ferry/core/internal';
import { OTEL_ERROR, formatTraceparent, parseTraceparent } from '@ferry/core/internal';
import type { EnqueueTracer } from './types.ts';

export type { OtelTracer } from '@ferry/core/internal';

/** `SpanKind.PRODUCER`: the op is sent later, by the worker. */
const PRODUCER = 3;

/**
 * The client's `tracer` from an OpenTelemetry `Tracer` (typed structurally: nothing of OpenTelemetry is
 * imported). Each `enqueue` becomes a `ferry.enqueue` span (kind producer, a child of the active span, such as
 * the click that caused it) with `ferry.op.id`, `ferry.op.kind` and `ferry.lane`, ended once the op is durable
 * or refused (an error status with the FerryError's code as `error.type`). The op keeps the span's
 * `traceparent` as its `trace`, so the worker's sends of it (`@ferry/sw/otel`) and the server's handling
 * (`@ferry/server/otel`) are its children: one trace per op, from the page to the database.
 */
export function otel(tracer: OtelTracer): EnqueueTracer {
  return {
    async enqueue(op, send) {
      const attributes = { 'ferry.op.id': op.id ?? '', 'ferry.op.kind': op.kind, 'ferry.lane': op.lane ?? 'default' };
      const span = tracer.startSpan('ferry.enqueue', { kind: PRODUCER, attributes });
      const trace = formatTraceparent(span.spanContext());
      try {
        // A tracer that makes no spans (OpenTelemetry's no-op one) gives all-zero ids: the op gets no trace.
        const id = await send(parseTraceparent(trace) ? { ...op, trace } : op);
        // A coalescing enqueue folds into an op that is already queued, in its own trace.
        if (id !== op.id) span.setAttribute('ferry.coalesced_into', id);
        return id;
      } catch (err) {
        const code = err instanceof FerryError ? err.code : 'error';
        span.setAttribute('error.type', code);
        span.setStatus({ code: OTEL_ERROR, message: err instanceof Error ? err.message : String(err) });
        throw err;
      } finally {
        span.end();
      }
    },
  };
}
