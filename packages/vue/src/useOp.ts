import type { Operation } from '@ferry/core';
import type { MaybeRefOrGetter, ShallowRef } from 'vue';
import { shallowRef, toValue, watch } from 'vue';
import { useFerry } from './ferryPlugin.ts';
import { inScope, onServer } from './lib/inScope.ts';
import { watchOp } from '@ferry/client/watch';

/** Options of {@link useOp}. */
export interface UseOpOptions {
  /**
   * While the op is not settled (not done, failed or gone), how often it is read again (ms): a
   * broadcast can be lost (a worker stopped between its commit and its broadcast). It is also read
   * again when the page turns visible, gets the focus, or comes back online.
   * @default 10000
   */
  recheckMs?: number;
}

/**
 * One op as a shallow ref, kept current until the calling scope ends: `undefined` until the first
 * `get` answers, `null` when there is no such op (never enqueued, removed, or compacted), else the
 * op as stored. Each broadcast change of this op asks for it again (one `get`); changes of other
 * ops cost nothing. `id` may be a ref or a getter: a new id shows `undefined` until its op is
 * loaded, never the previous id's op. Call it in `setup()` or an `effectScope`.
 */
export function useOp(
  id: MaybeRefOrGetter<string>,
  options: UseOpOptions = {},
): Readonly<ShallowRef<Operation | null | undefined>> {
  inScope('useOp');
  const client = useFerry();
  const recheckMs = options.recheckMs ?? 10_000;
  const op = shallowRef<Operation | null | undefined>(undefined);
  if (onServer()) return op;
  // The watcher belongs to the scope: when it ends, the cleanup below stops listening.
  watch(
    () => toValue(id),
    (id, _, onCleanup) => {
      op.value = undefined;
      onCleanup(watchOp(client, id, recheckMs, (next) => (op.value = next)));
    },
    { immediate: true },
  );
  return op;
}
