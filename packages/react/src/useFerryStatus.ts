import type { FerryStatus } from '@ferry/client/status';
import { useSyncExternalStore } from 'react';
import { useFerryStatusSource } from './FerryProvider.ts';

/**
 * The status snapshot given to the provider (`<FerryProvider status={createFerryStatus(client)}>`),
 * re-rendering when it changes: `useSyncExternalStore` over `status.subscribe` and `status`,
 * nothing cached here. The first subscriber loads it (one request); it is then kept from the
 * change feed. Before the load answers, `loaded` is false.
 */
export function useFerryStatus(): FerryStatus {
  const status = useFerryStatusSource();
  // The server render has no worker: the same not-yet-loaded snapshot.
  return useSyncExternalStore(status.subscribe, status, status);
}
