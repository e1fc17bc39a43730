/**
 * @ferry/core/internal: what Ferry's own packages share (stored records,
 * lanes, user ids, targets, small guards). Unstable: any release may change
 * or remove a name here without notice. Apps import `@ferry/core`.
 *
 * @packageDocumentation
 */
export { decodeOp, decodeWal, encodeOp, laneOfRaw, toOperation } from './lib/records.ts';
export { promoteNext } from './lib/promoteNext.ts';
export { HELD_DUE, laneId } from './lib/lanes.ts';
export { checkUserId } from './lib/userId.ts';
export { targetUrl } from './lib/targetUrl.ts';
export { isRecord } from './lib/isRecord.ts';
export { formatTraceparent, parseTraceparent } from './lib/traceparent.ts';
export type { TraceIds } from './lib/traceparent.ts';
export { OTEL_ERROR } from './lib/otel.ts';
export type {
  OtelAttributeValue,
  OtelContext,
  OtelSpan,
  OtelSpanContext,
  OtelSpanOptions,
  OtelTracer,
} from './lib/otel.ts';
export { ferryChannel } from './names.ts';
export { errorData, errorMessage } from './lib/errorMessage.ts';
export { memoryLocks } from './sync/runnerLock.ts';
export { LOG_LEVELS, checkLogger, createLogger, logWriter } from './log/Logger.ts';
export type { LogFields, Logger } from './log/Logger.ts';
export type { LogEventName } from './log/events.ts';
