import type { FerryErrorData } from '../FerryError.ts';
import { FerryError } from '../FerryError.ts';
import type { Clock } from '../Platform.ts';
import { systemClock } from '../Platform.ts';
import type { LogEventName } from './events.ts';

/** How much Ferry logs: an event is logged when its level is this one or above. `silent` logs nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** One logged event. Fields that do not apply to it are absent. */
export interface LogEvent {
  /** The event's level, fixed per event in LOG_EVENTS. */
  level: Exclude<LogLevel, 'silent'>;
  /** What happened: a key of LOG_EVENTS (`op.retry`, `storage.quota`…). */
  event: LogEventName;
  /** Wall-clock ms, from the host's or client's clock. */
  at: number;
  /** The op it is about. */
  opId?: string;
  /** That op's lane. */
  lane?: string;
  /** Attempts the op has spent. */
  attempt?: number;
  /** The HTTP status of the op's last answer, when there was one. */
  status?: number;
  /** On `op.retry` and `op.defer`: how long until the op may go again (ms), a `Retry-After` included. */
  retryAfterMs?: number;
  /** Why the op waits (`op.hold`) or failed (`op.fail`, `op.retry`); on `client.request-failed`, the request's type. */
  reason?: string;
  /** The error it is about, as `{ code, message }`: a FerryError's own, else `internal` with the error's text. */
  error?: FerryErrorData;
}

/** The `logger` option of the host and the page client. */
export interface LoggerOptions {
  /** The lowest level logged. @default 'warn' */
  level?: LogLevel;
  /** Receives each event logged. @default a `console` method of the event's level, with a `[ferry]` prefix */
  sink?: (event: LogEvent) => void;
}

/** The fields an event's call site fills in. */
export type LogFields = Omit<LogEvent, 'level' | 'event' | 'at'>;

/** Ferry's logger of the events `N`, made by {@link createLogger}. */
export interface Logger<N extends LogEventName = LogEventName> {
  /** Whether `event` is logged at the app's level: ask first, so that an event filtered out builds nothing. */
  wants(event: N): boolean;
  /** Logs `event` (the caller checked {@link Logger.wants}). A sink that throws is ignored. */
  emit(event: N, fields: LogFields): void;
}

/** Every level, lowest first. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Writes an event to the console: `console.warn('[ferry] op.fail', event)`. */
export const consoleSink = (e: LogEvent): void => console[e.level](`[ferry] ${e.event}`, e);

/** Writes one event to `sink` (the console's by default), stamped with `clock`. A sink that throws is ignored. */
export function logWriter(
  sink: LoggerOptions['sink'],
  clock: Clock = systemClock,
): (level: LogEvent['level'], event: LogEventName, fields: LogFields) => void {
  const to = sink ?? consoleSink;
  return (level, event, fields) => {
    try {
      to({ level, event, at: clock.now(), ...fields });
    } catch {
      // A sink's bug must not stop the worker or the page that logs.
    }
  };
}

/** The logger `options` ask for (checked by the caller) of the events `levels` lists, stamped with `clock`. */
export function createLogger<N extends LogEventName>(
  options: LoggerOptions,
  levels: Readonly<Record<N, LogEvent['level']>>,
  clock: Clock = systemClock,
): Logger<N> {
  const min = LOG_LEVELS.indexOf(options.level ?? 'warn');
  const write = logWriter(options.sink, clock);
  return {
    wants: (event) => LOG_LEVELS.indexOf(levels[event]) >= min,
    emit: (event, fields) => write(levels[event], event, fields),
  };
}

/** `value` as LoggerOptions; `invalid-config` unless it is `{ level?, sink? }` with a known level and a function. */
export function checkLogger(value: unknown): LoggerOptions {
  const { level = 'warn', sink, ...rest } = (value ?? {}) as LoggerOptions;
  if (
    typeof (value ?? {}) !== 'object' ||
    !LOG_LEVELS.includes(level) ||
    Object.keys(rest).length ||
    (sink !== undefined && typeof sink !== 'function')
  )
    throw new FerryError('invalid-config', `logger must be { level?: '${LOG_LEVELS.join("' | '")}', sink?: function }`);
  return value ?? {};
}
