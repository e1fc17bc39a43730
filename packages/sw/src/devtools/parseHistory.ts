import { FerryError } from '@ferry/core';
import type { HistoryQuery } from '@ferry/core/protocol';
import { MAX_HISTORY_LIMIT } from '@ferry/core/protocol';

const MAX_ID = 256;

/**
 * The validator of a `history` request's query (the protocol's validator checks only that it is an object, so
 * that a worker without the DevTools entry carries none of this): rebuilt from its known fields, or refused
 * with `protocol-error` saying which field is wrong.
 */
export function parseHistory(query: HistoryQuery): HistoryQuery {
  const bad = (message: string) => new FerryError('protocol-error', message);
  const out: HistoryQuery = {};
  const { opId, fromLsn, limit } = query as Record<string, unknown>;
  if (opId !== undefined) {
    if (typeof opId !== 'string' || opId.length === 0 || opId.length > MAX_ID)
      throw bad('history.opId must be a non-empty string');
    out.opId = opId;
  }
  if (fromLsn !== undefined) {
    if (!Number.isSafeInteger(fromLsn) || (fromLsn as number) < 0) throw bad('history.fromLsn must be an integer >= 0');
    out.fromLsn = fromLsn as number;
  }
  if (limit !== undefined) {
    if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_HISTORY_LIMIT)
      throw bad(`history.limit must be an integer in [1, ${MAX_HISTORY_LIMIT}]`);
    out.limit = limit as number;
  }
  return out;
}
