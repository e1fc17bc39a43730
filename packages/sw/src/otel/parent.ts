/**
 * The parent of an op's send spans: the span that enqueued it (its `trace`), or, for an op enqueued without
 * one, a parent whose ids derive from the op's id, so that every send of one op lands in one trace anyway.
 */
import type { Operation } from '@ferry/core';
import type { OtelContext, OtelSpanContext } from '@ferry/core/internal';
import { parseTraceparent } from '@ferry/core/internal';

/**
 * The key under which `@opentelemetry/api` keeps a context's span. The API makes its keys with `Symbol.for` so
 * that every copy of it agrees on them (`createContextKey` in its `context/context.ts`): a context built here
 * is read by the app's tracer as `trace.setSpanContext(ROOT_CONTEXT, parent)` would be.
 */
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

/** The span context every send of `op` is a child of. Remote: it was made in the page, or nowhere. */
export function parentOf(op: Operation): OtelSpanContext {
  const ids = parseTraceparent(op.trace);
  if (ids) return { ...ids, isRemote: true };
  const hex = [1, 2, 3, 4, 5, 6].map((seed) => fnv1a(`${seed}:${op.id}`)).join('');
  // Sampled: a tracer that samples by its parent keeps the spans of an op enqueued without a trace.
  return { traceId: hex.slice(0, 32), spanId: hex.slice(32, 48), traceFlags: 1, isRemote: true };
}

/** A context holding only `parent`, as the span a new span is the child of. */
export function contextOf(parent: OtelSpanContext): OtelContext {
  const span = { spanContext: () => parent, isRecording: () => false };
  return context(new Map<symbol, unknown>([[SPAN_KEY, span]]));
}

function context(values: Map<symbol, unknown>): OtelContext {
  return {
    getValue: (key) => values.get(key),
    setValue: (key, value) => context(new Map(values).set(key, value)),
    deleteValue: (key) => {
      const rest = new Map(values);
      rest.delete(key);
      return context(rest);
    },
  };
}

/**
 * 32-bit FNV-1a of `text`, as 8 hex digits. Ids that came out all zeros would only make the tracer start a
 * trace of its own for that send.
 */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
