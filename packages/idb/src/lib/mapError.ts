import type { FerryErrorCode } from './core.ts';
import { FerryError } from './core.ts';

/** Where the error came from: opening the database, or running a transaction. */
export type ErrorContext = 'open' | 'transaction';

/**
 * Chromium sometimes reports a full quota not as `QuotaExceededError` but as
 * an `AbortError` (the transaction's abort, with no request event at all) or
 * an `UnknownError` whose message mentions the quota or a full disk
 * (https://github.com/dexie/Dexie.js/issues/776 and /840,
 * https://github.com/jakearchibald/idb-keyval/issues/26).
 */
const QUOTA_HINT = /quota|full disk|disk (is )?full|no space/i;

/** Caller bugs the store surfaces as such, not as storage failures. */
const TRANSACTION_CODES: ReadonlyMap<string, FerryErrorCode> = new Map<string, FerryErrorCode>([
  ['DataCloneError', 'payload-not-cloneable'],
  ['ReadOnlyError', 'invalid-state'],
  // The callback awaited something other than this transaction's requests, so
  // IndexedDB committed the transaction under it: a transaction callback awaits only its own requests.
  ['TransactionInactiveError', 'invalid-state'],
  // The backing store or the connection failed under a running transaction.
  ['AbortError', 'storage-unavailable'],
  ['UnknownError', 'storage-unavailable'],
  ['NotReadableError', 'storage-unavailable'],
  ['InvalidStateError', 'storage-unavailable'],
  ['VersionError', 'storage-unavailable'],
]);

/** The `name` of a DOMException or of anything shaped like one. */
export function nameOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const name = (err as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(err);
}

/** @returns true when `err` (a DOMException or anything shaped like one) means the storage quota is used up. */
export function isQuotaError(err: unknown): boolean {
  const name = nameOf(err);
  if (name === 'QuotaExceededError') return true;
  return (name === 'AbortError' || name === 'UnknownError') && QUOTA_HINT.test(messageOf(err));
}

/**
 * Turns what IndexedDB throws into a {@link FerryError}, keeping the original
 * as `cause`. A FerryError passes through unchanged. When opening, every
 * failure means the storage is unavailable (blocked, private mode, missing
 * IndexedDB, a newer schema...); in a transaction, errors that are neither
 * quota nor storage failures nor known caller bugs are returned as they are,
 * so that programming errors keep their own name.
 */
export function mapError(err: unknown, context: ErrorContext): unknown {
  if (err instanceof FerryError) return err;
  const name = nameOf(err);
  const detail = `${name ?? 'Error'}: ${messageOf(err)}`;
  if (isQuotaError(err)) {
    return new FerryError('quota-exceeded', `storage quota exceeded (${detail})`, { cause: err });
  }
  if (context === 'open') {
    return new FerryError('storage-unavailable', `cannot open IndexedDB (${detail})`, { cause: err });
  }
  const code = name === undefined ? undefined : TRANSACTION_CODES.get(name);
  return code === undefined ? err : new FerryError(code, `IndexedDB transaction failed (${detail})`, { cause: err });
}
