import type { FerryClient } from '../types.ts';
import type { ListQuery, Operation } from '@ferry/core';

/**
 * Keeps `show` given `client.list(query)` until the returned stop is called. A broadcast change
 * that may touch the list (an op of the query's lane and user, whatever its status) asks again,
 * one `list` at a time: changes that come while one is on its way make one more after it, so a
 * burst costs two requests, not one per change. An answer that another change has already made
 * stale is still shown once `maxWaitMs` passed since the last one shown.
 */
export function watchOps(
  client: FerryClient,
  query: ListQuery,
  maxWaitMs: number,
  show: (ops: Operation[]) => void,
): () => void {
  // Only the known fields, those given: what the worker is asked is what the query says, nothing more.
  const wanted = JSON.parse(queryKey(query)) as ListQuery;
  const { lane, user } = wanted;
  let live = true;
  let running = false;
  let again = false;
  let shownAt = Number.NEGATIVE_INFINITY;
  const load = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    client.list(wanted).then(
      (ops) => {
        running = false;
        if (!live) return;
        const fresh = !again || Date.now() - shownAt >= maxWaitMs;
        if (again) load();
        if (fresh) {
          shownAt = Date.now();
          show(ops);
        }
      },
      () => {
        running = false;
        if (live && again) load();
      },
    );
  };
  const off = client.subscribe((change) => {
    if (lane !== undefined && change.op.lane !== lane) return;
    if (user !== undefined && change.op.user !== user) return;
    load();
  });
  load();
  return () => {
    live = false;
    off();
  };
}

/** The query's known fields in a fixed order: two queries with the same key ask the same. */
export const queryKey = ({ status, lane, user, limit }: ListQuery = {}): string =>
  JSON.stringify({ status, lane, user, limit });
