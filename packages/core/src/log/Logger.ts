import type { FerryErrorData } from '../FerryError.ts';
import { FerryError } from '../FerryError.ts';
import type { Clock } from '../Platform.ts';
import { systemClock } from '../Platform.ts';
import type { LogEventName } from './events.ts';
import { LOG_EVENTS } from './events.ts';

/** How much Ferry logs: an event is logged when its level is this one or above. `silent` logs nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** One logged event. Fields that do not apply to it are absent. */
export interface LogEvent {
  level: Exclude<LogLevel, 'silent'>;
  event: LogEventName;
  /** Wall-clock ms, from the host's or client's clock. */
  at: number;
  opId?: string;
  lane?: string;
  /** Attempts the op has spent. */
  attempt?: number;
  /** The HTTP status of the op's last answer, when there was one. */
  status?: number;
  /** On `op.retry` and `op.defer`: how long until the op may go again (ms), a `Retry-After` included. */
  retryAfterMs?: number;
  /** Why the op waits (`op.hold`, `op.defer`) or failed (`op.fail`, `op.retry`). */
  reason?: string;
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

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/** Writes an event to the console: `console.warn('[ferry] op.fail', event)`. */
export const consoleSink = (e: LogEvent): void => console[e.level](`[ferry] ${e.event}`, e);

/**
 * Ferry's logger: events of {@link LOG_EVENTS} at their level, filtered by
 * the app's. A call site asks {@link wants} first, so that an event filtered
 * out costs a table lookup and builds nothing. A sink that throws is ignored.
 */
export class Logger {
  readonly #min: number;
  readonly #sink: (event: LogEvent) => void;
  readonly #clock: Clock;

  constructor(options: LoggerOptions = {}, clock: Clock = systemClock) {
    this.#min = RANK[options.level ?? 'warn'];
    this.#sink = options.sink ?? consoleSink;
    this.#clock = clock;
  }

  /** Whether `event` is logged at the app's level. */
  wants(event: LogEventName): boolean {
    return RANK[LOG_EVENTS[event]] >= this.#min;
  }

  /** Logs `event` (the caller checked {@link wants}). */
  emit(event: LogEventName, fields: LogFields): void {
    try {
      this.#sink({ level: LOG_EVENTS[event], event, at: this.#clock.now(), ...fields });
    } catch {
      // A sink's bug must not stop the worker that logs.
    }
  }

  /** Logs `event` with `error` when it is wanted. */
  error(event: LogEventName, error: unknown): void {
    if (this.wants(event)) this.emit(event, { error: errorData(error) });
  }
}

/** The structured-clone-safe form of any thrown value. */
export function errorData(err: unknown): FerryErrorData {
  if (err instanceof FerryError) return err.toJSON();
  return { code: 'internal', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}

/** Checks a `logger` option; `invalid-config` naming `path` for a bad one. */
export function checkLogger(value: unknown, path = 'logger'): LoggerOptions {
  if (value === undefined) return {};
  const bad = (what: string): FerryError => new FerryError('invalid-config', `${path}${what}`);
  if (typeof value !== 'object' || value === null) throw bad(' must be an object');
  const { level, sink, ...rest } = value as Record<string, unknown>;
  for (const key of Object.keys(rest)) throw bad(`.${key} is not an option`);
  if (level !== undefined && !(typeof level === 'string' && Object.hasOwn(RANK, level)))
    throw bad(".level must be 'debug', 'info', 'warn', 'error' or 'silent'");
  if (sink !== undefined && typeof sink !== 'function') throw bad('.sink must be a function');
  return value as LoggerOptions;
}
