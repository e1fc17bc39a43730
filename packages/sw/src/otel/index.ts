/**
 * @ferry/sw/otel: OpenTelemetry tracing of the worker's sends, kept out of the default bundle.
 * `createFerryHost({ tracer: otel(trace.getTracer('my-app')) })`.
 *
 * @packageDocumentation
 */
import type { OtelTracer } from '@ferry/core/internal';
import type { SendTracer } from '../http/tracing.ts';
import { startSend } from './sendSpan.ts';

export type { OtelTracer } from '@ferry/core/internal';

/**
 * The host's `tracer` from an OpenTelemetry `Tracer` (typed structurally: nothing of OpenTelemetry is
 * imported). Each send becomes a `ferry.attempt` span (kind client) with `ferry.op.id`, `ferry.lane`,
 * `ferry.attempt`, `http.response.status_code`, `ferry.retry_after_ms`, `ferry.replayed` and `ferry.outcome`,
 * an error status when it failed, and goes out with its `traceparent`. The span is a child of the op's
 * `trace` (the page's `ferry.enqueue` span, see `@ferry/client/otel`); an op without one gets a trace derived
 * from its id, the same for all its sends. A batch request is one span, in its first op's trace, naming every
 * op (`ferry.op.ids`) and linking the others' traces.
 */
export function otel(tracer: OtelTracer): SendTracer {
  return (ops) => startSend(tracer, ops);
}
