/**
 * `@ferry/client/history`: the WAL records of the client's queue, as the DevTools panel (`@ferry/devtools`)
 * reads them. The host answers only when it was given `devtoolsHost` from `@ferry/sw/devtools`; any other
 * host rejects with `unsupported`.
 */
import type { HistoryQuery, HistoryResult } from '@ferry/core/protocol';
import { partsOf } from './lib/parts.ts';
import type { FerryClient } from './types.ts';

export type { HistoryQuery, HistoryResult } from '@ferry/core/protocol';
export type { WalRecord, WalRecordType } from '@ferry/core';

/**
 * One read of the WAL (see {@link HistoryQuery}): the records of `query.opId` (every op's without it) from
 * `query.fromLsn` on, and where the next read goes on. The host scans a bounded number of records per read:
 * call again from `next` until `complete`.
 */
export function readHistory(client: FerryClient, query: HistoryQuery = {}): Promise<HistoryResult> {
  return partsOf(client).request({ type: 'history', query });
}
