import type { ListQuery, Operation } from '@ferry/core';
import { useEffect, useState } from 'react';
import { queryKey, watchOps } from '@ferry/client/watch';
import { useFerry } from './FerryProvider.ts';

export interface UseOpsOptions {
  /**
   * While changes keep coming, the longest the list shown may lag (ms): an answer that another
   * change has already made stale is still rendered once this long passed since the last render.
   * @default 250
   */
  maxWaitMs?: number;
}

/**
 * The ops `client.list(query)` returns, kept current: `undefined` until the
 * first answer. A broadcast change that may touch the list (an op of the
 * query's lane and user, whatever its status) asks again, one `list` at a
 * time: changes that come while one is on its way make one more after it,
 * so a burst of changes costs two requests, not one per change. While
 * changes keep coming, it still renders at least every `maxWaitMs`. The query is
 * compared by value, so an inline object literal is fine. Stops listening
 * on unmount.
 */
export function useOps(query: ListQuery = {}, options: UseOpsOptions = {}): Operation[] | undefined {
  const client = useFerry();
  const maxWaitMs = options.maxWaitMs ?? 250;
  // Only the known fields, in a fixed order: the same query is the same key.
  const key = queryKey(query);
  const [state, setState] = useState<{ key: string; ops: Operation[] | undefined }>({ key, ops: undefined });
  useEffect(
    () => watchOps(client, JSON.parse(key) as ListQuery, maxWaitMs, (ops) => setState({ key, ops })),
    [client, key, maxWaitMs],
  );
  return state.key === key ? state.ops : undefined;
}
