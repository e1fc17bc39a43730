import type { Operation } from '@ferry/core';
import type { PendingQuery } from '@ferry/client/pending';
import { createFerryPending } from '@ferry/client/pending';
import { useMemo, useSyncExternalStore } from 'react';
import { useFerry } from './FerryProvider.ts';

const none: readonly Operation[] = [];

/**
 * The provider client's ops not yet done (`createFerryPending` from `@ferry/client/pending`), each
 * with its payload, status and `lastError`, re-rendering when they change: for optimistic UI that
 * survives a reload. Empty until the first `list` answers. `kind`, `lane` and `user` are compared
 * by value; `where` is applied at render (an inline function is fine, a stable one saves a filter
 * per render). Stops listening on unmount.
 */
export function usePending(query: PendingQuery = {}): readonly Operation[] {
  const client = useFerry();
  const { kind, lane, user, where } = query;
  // Only the fields the overlay loads by, in a fixed order: the same query is the same overlay.
  const key = JSON.stringify({ kind, lane, user });
  // Cheap to make: an overlay nobody subscribes to holds nothing and asks nothing.
  const pending = useMemo(() => createFerryPending(client, JSON.parse(key) as PendingQuery), [client, key]);
  // The server render has no worker: nothing pending yet.
  const ops = useSyncExternalStore(pending.subscribe, pending, () => none);
  return useMemo(() => (where ? ops.filter(where) : ops), [ops, where]);
}
