import type { CLIENT_EVENTS, Clock, FerryError } from '@ferry/core';
import { LOG_LEVELS, checkLogger, logWriter } from '@ferry/core/internal';
import type { RequestBody } from '@ferry/core/protocol';

/** The page client's two events, each absent when the app's level leaves it out: nothing is built for it then. */
export interface PageLog {
  /** `client.request-failed`: a request the worker did not answer in time, or refused. */
  failed?: (err: FerryError, type: RequestBody['type']) => void;
  /** `client.version-mismatch`: a broadcast of another protocol version. */
  foreign?: () => void;
}

/** An event's level as CLIENT_EVENTS states it: the types keep the two equal, and the page bundles no table. */
type Level<E extends keyof typeof CLIENT_EVENTS> = (typeof CLIENT_EVENTS)[E];

/**
 * The client's `logger` option as its two events (checked by `checkLogger`). The app's level is compared once
 * per event, here.
 */
export function pageLog(value: unknown, clock: Clock): PageLog {
  const { level = 'warn', sink } = checkLogger(value);
  const min = LOG_LEVELS.indexOf(level);
  const write = logWriter(sink, clock);
  const failed: Level<'client.request-failed'> = 'debug';
  const foreign: Level<'client.version-mismatch'> = 'warn';
  return {
    failed:
      LOG_LEVELS.indexOf(failed) >= min
        ? (err, type) => write(failed, 'client.request-failed', { reason: type, error: err.toJSON() })
        : undefined,
    foreign: LOG_LEVELS.indexOf(foreign) >= min ? () => write(foreign, 'client.version-mismatch', {}) : undefined,
  };
}
