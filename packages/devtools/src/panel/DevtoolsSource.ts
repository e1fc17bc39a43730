import type { ChangeSummary, FerryClient } from '@ferry/client';
import type { HistoryQuery, HistoryResult, OriginPause, PauseQuery } from '@ferry/client/history';
import { readHistory, readPauses } from '@ferry/client/history';
import type { Operation, OperationStatus } from '@ferry/core';

/** What the panel reads and does: a client's verbs, narrowed to the panel's needs (tests pass their own). */
export interface DevtoolsSource {
  /** The ops not yet done. */
  queue(): Promise<Operation[]>;
  get(id: string): Promise<Operation | undefined>;
  history(query: HistoryQuery): Promise<HistoryResult>;
  retry(id: string): Promise<unknown>;
  remove(id: string): Promise<unknown>;
  update(id: string, patch: Pick<Operation, 'payload'>): Promise<unknown>;
  syncNow(): Promise<unknown>;
  /** The host's pauses by origin; with `pause`, first makes its origin unreachable for its seconds. */
  pauses(pause?: PauseQuery): Promise<OriginPause[]>;
  /** Sees every change from any tab; returns a cleanup. */
  subscribe(fn: (change: ChangeSummary) => void): () => void;
}

/** Most ops of each status the queue view lists. */
const QUEUE_LIMIT = 500;
const QUEUED: readonly OperationStatus[] = ['pending', 'inflight', 'failed'];

/** The panel's source over a client made by `createFerryClient`. */
export function sourceOf(client: FerryClient): DevtoolsSource {
  return {
    queue: async () => (await Promise.all(QUEUED.map((status) => client.list({ status, limit: QUEUE_LIMIT })))).flat(),
    get: (id) => client.get(id),
    history: (query) => readHistory(client, query),
    retry: (id) => client.retry(id),
    remove: (id) => client.remove(id),
    update: (id, patch) => client.update(id, patch),
    syncNow: () => client.syncNow(),
    pauses: (pause) => readPauses(client, pause),
    subscribe: (fn) => client.subscribe(fn),
  };
}
