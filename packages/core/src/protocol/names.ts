/** The protocol's version, names and limits: what page and host must agree on besides the messages. */
import { isRecord } from '../lib/isRecord.ts';

export const PROTOCOL_VERSION = 1;
/**
 * The property every request to the host carries, set to `true`. A service
 * worker shared with the app handles only messages that carry it and leaves
 * every other message (the app's own, workbox-window's) alone.
 */
export const FERRY_MARKER = 'ferry';

/** Whether a message posted to the worker is meant for Ferry: an object whose `ferry` property is `true`. */
export function isFerryMessage(data: unknown): boolean {
  return isRecord(data) && data[FERRY_MARKER] === true;
}
/** BroadcastChannel carrying {@link ChangeMessage}s. */
export const CHANNEL_NAME = 'ferry';
/** The Web Lock only the current runner holds. */
export const LOCK_NAME = 'ferry-runner';
/** The Background Sync tag registered while work is queued. */
export const SYNC_TAG = 'ferry';

/** The app a message is for: its `name` field, absent for the default app. */
export function messageName(data: unknown): string | undefined {
  const name = isRecord(data) ? data['name'] : undefined;
  return typeof name === 'string' ? name : undefined;
}

export type KickReason = 'online' | 'visible' | 'kick';

/** Most ops one `enqueueBatch` request may carry; the client splits larger batches. */
export const MAX_BATCH = 1000;

/** Most WAL records one `history` request scans: a larger WAL is read in several requests (each one readonly transaction per 500). */
export const MAX_HISTORY_SCAN = 10_000;
/** Most WAL records one `history` request returns. */
export const MAX_HISTORY_LIMIT = 1000;
/** The longest pause a `pauses` request may start, in seconds: an hour, as `RetryPolicy.maxRetryAfterMs` bounds any pause. */
export const MAX_PAUSE_SECONDS = 3600;
