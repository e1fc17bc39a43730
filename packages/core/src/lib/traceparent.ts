/**
 * W3C Trace Context's `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header), the one
 * format in which Ferry carries a trace: on an op (`trace`), on each send, into `@ferry/server`.
 */

/** The ids a `traceparent` carries: 32 and 16 lower-case hex digits, and the flags (bit 0: sampled). */
export interface TraceIds {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

// Version 00 is exactly this long; a later version may append fields after a dash, and must not be `ff`.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The ids of a `traceparent` value, or undefined when it is not one (all-zero ids included). */
export function parseTraceparent(value: string | null | undefined): TraceIds | undefined {
  const m = TRACEPARENT.exec(value ?? '');
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string?];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) };
}

/** `00-<traceId>-<spanId>-<flags>`. */
export function formatTraceparent({ traceId, spanId, traceFlags }: TraceIds): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}
