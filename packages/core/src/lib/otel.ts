/**
 * The parts of OpenTelemetry's API (`@opentelemetry/api`) that Ferry's page client and worker use, typed
 * structurally: an app passes its own `Tracer`, and Ferry imports nothing of OpenTelemetry.
 */

/** A tracer: `trace.getTracer(name)` of `@opentelemetry/api`, or a provider's `getTracer`. */
export interface OtelTracer {
  startSpan(name: string, options?: OtelSpanOptions, context?: OtelContext): OtelSpan;
}

/** A span attribute's value. */
export type OtelAttributeValue = string | number | boolean | string[] | number[];

export interface OtelSpanOptions {
  /** `SpanKind`: 0 internal, 1 server, 2 client, 3 producer, 4 consumer. */
  kind?: number;
  attributes?: Record<string, OtelAttributeValue>;
  links?: { context: OtelSpanContext }[];
}

export interface OtelSpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
}

export interface OtelSpan {
  spanContext(): OtelSpanContext;
  setAttribute(key: string, value: OtelAttributeValue): unknown;
  /** `SpanStatusCode`: 0 unset, 1 ok, 2 error. */
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

/** An OpenTelemetry `Context`: immutable values under symbol keys. */
export interface OtelContext {
  getValue(key: symbol): unknown;
  setValue(key: symbol, value: unknown): OtelContext;
  deleteValue(key: symbol): OtelContext;
}

/** `SpanStatusCode.ERROR`. */
export const OTEL_ERROR = 2;
