import type { PendingQuery } from '@ferry/client/pending';
import { createFerryPending } from '@ferry/client/pending';
import type { Operation } from '@ferry/core';
import type { ShallowRef } from 'vue';
import { useFerry } from './ferryPlugin.ts';
import { sourceRef } from './lib/sourceRef.ts';

/**
 * The plugin client's ops not yet done (`createFerryPending` from `@ferry/client/pending`), each
 * with its payload, status and `lastError`, as a shallow ref kept current until the calling scope
 * ends: for optimistic UI that survives a reload. Empty until the first `list` answers. Call it in
 * `setup()` or an `effectScope`; for another query, call it again in another scope.
 */
export function usePending(query: PendingQuery = {}): Readonly<ShallowRef<readonly Operation[]>> {
  return sourceRef(createFerryPending(useFerry(), query), 'usePending');
}
