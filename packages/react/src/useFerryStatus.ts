import type { FerryStatus } from '@ferry/client';
import { useSyncExternalStore } from 'react';
import { useFerry } from './FerryProvider.ts';

/**
 * The client's status snapshot (`client.status()`), re-rendering when it
 * changes: `useSyncExternalStore` over `status.subscribe` and `status`,
 * nothing cached here. The first subscriber loads it (one request); it is
 * then kept from the change feed. Before the load answers, `loaded` is false.
 */
export function useFerryStatus(): FerryStatus {
  const { status } = useFerry();
  // The server render has no worker: the same not-yet-loaded snapshot.
  return useSyncExternalStore(status.subscribe, status, status);
}
