import type { FerryClient } from '@ferry/client';
import type { ListQuery, Operation } from '@ferry/core';
import type { Readable } from 'svelte/store';
import { readable } from 'svelte/store';
import { watchOps } from '@ferry/client/watch';

/** Options of {@link ops}. */
export interface OpsOptions {
  /**
   * While changes keep coming, the longest the list may lag (ms): an answer that another change
   * has already made stale is still set once this long passed since the last one set.
   * @default 250
   */
  maxWaitMs?: number;
}

/**
 * The ops `client.list(query)` returns, as a readable store kept current while it has
 * subscribers: `undefined` until the first answer. A broadcast change that may touch the list (an
 * op of the query's lane and user) asks again, one `list` at a time, so a burst of changes costs
 * two requests, not one per change. When its last subscriber leaves, it stops listening and keeps
 * its last value.
 *
 * @param client - the app's client (`createFerryClient()`)
 * @param query - which ops: `{ status, lane, user, limit }`, as `client.list` takes it
 */
export function ops(
  client: FerryClient,
  query: ListQuery = {},
  options: OpsOptions = {},
): Readable<Operation[] | undefined> {
  const maxWaitMs = options.maxWaitMs ?? 250;
  return readable<Operation[] | undefined>(undefined, (set) => watchOps(client, query, maxWaitMs, set));
}
