/**
 * `@ferry/client/history`: the WAL records of the client's queue and the host's per-origin pauses, as the
 * DevTools panel (`@ferry/devtools`) reads and sets them. The host answers only when it was given `devtoolsHost`
 * from `@ferry/sw/devtools`; any other host rejects with `unsupported`.
 */
import type { HistoryQuery, HistoryResult, OriginPause, PauseQuery } from '@ferry/core/protocol';
import { partsOf } from './lib/parts.ts';
import type { FerryClient } from './types.ts';

export type { HistoryQuery, HistoryResult, OriginPause, PauseQuery } from '@ferry/core/protocol';
export type { WalRecord, WalRecordType } from '@ferry/core';

/**
 * One read of the WAL (see {@link HistoryQuery}): the records of `query.opId` (every op's without it) from
 * `query.fromLsn` on, and where the next read goes on. The host scans a bounded number of records per read:
 * call again from `next` until `complete`.
 */
export function readHistory(client: FerryClient, query: HistoryQuery = {}): Promise<HistoryResult> {
  return partsOf(client).request({ type: 'history', query });
}

/**
 * The pauses running in the host, by origin (a `Retry-After`'s or one `pause` started); with `pause`, first makes
 * its origin (the host's own by default) unreachable for `pause.seconds`, an integer in [1, 3600]: no request goes
 * there meanwhile, its ops wait as they are (nothing spent, nothing failed) and go on by themselves when it ends.
 * Rejects with `invalid-argument` for bad seconds, `target-not-allowed` for an origin the host may not send to.
 */
export function readPauses(client: FerryClient, pause?: PauseQuery): Promise<OriginPause[]> {
  return partsOf(client).request(pause ? { type: 'pauses', pause } : { type: 'pauses' });
}
