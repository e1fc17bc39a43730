/** The validator of a `history` request's query (see {@link HistoryQuery}). */
import type { HistoryQuery } from './messages.ts';
import { MAX_HISTORY_LIMIT } from './names.ts';

const MAX_ID = 256;

/** The query rebuilt from its known fields, or why it is refused. */
export function parseHistory(data: Record<string, unknown>): HistoryQuery | string {
  const out: HistoryQuery = {};
  const { opId, fromLsn, limit } = data;
  if (opId !== undefined) {
    if (typeof opId !== 'string' || opId.length === 0 || opId.length > MAX_ID)
      return 'history.opId must be a non-empty string';
    out.opId = opId;
  }
  if (fromLsn !== undefined) {
    if (!Number.isSafeInteger(fromLsn) || (fromLsn as number) < 0) return 'history.fromLsn must be an integer >= 0';
    out.fromLsn = fromLsn as number;
  }
  if (limit !== undefined) {
    if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_HISTORY_LIMIT)
      return `history.limit must be an integer in [1, ${MAX_HISTORY_LIMIT}]`;
    out.limit = limit as number;
  }
  return out;
}
