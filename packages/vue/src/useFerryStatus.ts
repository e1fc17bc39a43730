import type { FerryStatus } from '@ferry/client/status';
import type { ShallowRef } from 'vue';
import { useFerryStatusSource } from './ferryPlugin.ts';
import { sourceRef } from './lib/sourceRef.ts';

/**
 * The status snapshot given to the plugin (`ferryPlugin({ client, status: createFerryStatus(client) })`)
 * as a shallow ref, current until the calling scope ends: `status.value.counts.pending`. The first
 * subscriber loads it (one request); it is then kept from the change feed, without a request per
 * change. Before the load answers, `loaded` is false. Call it in `setup()` or an `effectScope`.
 */
export function useFerryStatus(): Readonly<ShallowRef<FerryStatus>> {
  return sourceRef(useFerryStatusSource(), 'useFerryStatus');
}
