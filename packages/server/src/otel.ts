/**
 * @ferry/server/otel: continues the op's trace on the server, with `@opentelemetry/api` (an optional peer
 * dependency: an app that does not import this entry needs none of OpenTelemetry).
 *
 * @packageDocumentation
 */
import type { Context, Tracer } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, context, createTraceState, trace } from '@opentelemetry/api';
import { parseTraceparent } from '@ferry/core/internal';

/** How `traced` makes its spans. */
export interface TracedOptions {
  /** Makes the server spans. @default `trace.getTracer('@ferry/server')`: the registered provider's */
  tracer?: Tracer;
}

/**
 * `handler` (Ferry's whole server half, `createHandler(...)`, or any Fetch API handler) inside a
 * `ferry.server.handle` span (kind server) that continues the request's trace: a child of the active span when
 * an HTTP instrumentation already made one, else of the request's W3C `traceparent` (the worker's send span,
 * see `@ferry/sw/otel`). Its attributes: `http.request.method`, `url.path`, `ferry.idempotency_key`,
 * `http.response.status_code` and `ferry.replayed`; an error status on a 5xx or a throw. The handler runs in
 * the span's context, so the app's own spans and those of its database driver's instrumentation are its
 * children (on Node this needs a context manager, as `NodeSDK` registers).
 */
export function traced(
  handler: (req: Request) => Response | Promise<Response>,
  options: TracedOptions = {},
): (req: Request) => Promise<Response> {
  const tracer = options.tracer ?? trace.getTracer('@ferry/server');
  return (req) => {
    const parent = parentOf(req);
    const key = req.headers.get('idempotency-key');
    const attributes = {
      'http.request.method': req.method,
      'url.path': new URL(req.url).pathname,
      ...(key !== null && { 'ferry.idempotency_key': key }),
    };
    const span = tracer.startSpan('ferry.server.handle', { kind: SpanKind.SERVER, attributes }, parent);
    return context.with(trace.setSpan(parent, span), async () => {
      try {
        const res = await handler(req);
        span.setAttribute('http.response.status_code', res.status);
        span.setAttribute('ferry.replayed', res.headers.get('idempotent-replayed') === 'true');
        if (res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.status}` });
        return res;
      } catch (err) {
        span.recordException(err instanceof Error ? err : String(err));
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        throw err;
      } finally {
        span.end();
      }
    });
  };
}

/** The context the server span starts in: the active span's, or the request's `traceparent` (and `tracestate`). */
function parentOf(req: Request): Context {
  const active = context.active();
  if (trace.getSpan(active)) return active;
  const ids = parseTraceparent(req.headers.get('traceparent'));
  if (!ids) return active;
  const state = req.headers.get('tracestate');
  return trace.setSpanContext(active, {
    ...ids,
    isRemote: true,
    ...(state && { traceState: createTraceState(state) }),
  });
}
