import type { OutboxStore, WalRecord } from '@ferry/core';
import type { HistoryQuery, HistoryResult } from '@ferry/core/protocol';
import { MAX_HISTORY_SCAN } from '@ferry/core/protocol';

/** WAL records read per readonly transaction. */
const PAGE = 500;
/** Records a `history` request returns when it names no `limit`. */
const DEFAULT_LIMIT = 200;

/**
 * Answers a `history` request from the WAL: the records from `fromLsn` on, those of `opId` only when it is set,
 * the newest `limit` of them kept, in LSN order. The WAL has no index by op, so this scans: at most
 * `MAX_HISTORY_SCAN` records per request, `PAGE` per readonly transaction (20 transactions at most), and holds
 * no more than `limit` records at once. `next` tells the caller where to go on; `complete`, whether the scan
 * reached the WAL's end. A development tool's cost: an app's own requests never pay it.
 */
export async function serveHistory(store: OutboxStore, query: HistoryQuery): Promise<HistoryResult> {
  const { opId } = query;
  const limit = query.limit ?? DEFAULT_LIMIT;
  const records: WalRecord[] = [];
  let next = query.fromLsn ?? 0;
  for (let scanned = 0; scanned < MAX_HISTORY_SCAN;) {
    const want = Math.min(PAGE, MAX_HISTORY_SCAN - scanned);
    const page = await store.transaction('readonly', (tx) => tx.walFrom(next, want));
    for (const record of page) if (opId === undefined || record.opId === opId) records.push(record);
    if (records.length > limit) records.splice(0, records.length - limit);
    scanned += page.length;
    const last = page.at(-1);
    if (last) next = last.lsn + 1;
    if (page.length < want) return { records, next, complete: true };
  }
  return { records, next, complete: false };
}
