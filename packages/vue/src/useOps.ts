import type { ListQuery, Operation } from '@ferry/core';
import type { MaybeRefOrGetter, ShallowRef } from 'vue';
import { shallowRef, toValue, watch } from 'vue';
import { useFerry } from './ferryPlugin.ts';
import { inScope, onServer } from './lib/inScope.ts';
import { queryKey, watchOps } from '@ferry/client/watch';

/** Options of {@link useOps}. */
export interface UseOpsOptions {
  /**
   * While changes keep coming, the longest the list may lag (ms): an answer that another change
   * has already made stale is still shown once this long passed since the last one shown.
   * @default 250
   */
  maxWaitMs?: number;
}

/**
 * The ops `client.list(query)` returns, as a shallow ref kept current until the calling scope
 * ends: `undefined` until the first answer. A broadcast change that may touch the list (an op of
 * the query's lane and user) asks again, one `list` at a time, so a burst of changes costs two
 * requests, not one per change. `query` may be a ref or a getter, compared by value: a new query
 * lists again and shows `undefined` until it answers. Call it in `setup()` or an `effectScope`.
 */
export function useOps(
  query: MaybeRefOrGetter<ListQuery> = {},
  options: UseOpsOptions = {},
): Readonly<ShallowRef<Operation[] | undefined>> {
  inScope('useOps');
  const client = useFerry();
  const maxWaitMs = options.maxWaitMs ?? 250;
  const ops = shallowRef<Operation[] | undefined>(undefined);
  if (onServer()) return ops;
  // Watched by key: a getter that builds an equal query anew changes nothing.
  watch(
    () => queryKey(toValue(query)),
    (key, _, onCleanup) => {
      ops.value = undefined;
      onCleanup(watchOps(client, JSON.parse(key) as ListQuery, maxWaitMs, (next) => (ops.value = next)));
    },
    { immediate: true },
  );
  return ops;
}
