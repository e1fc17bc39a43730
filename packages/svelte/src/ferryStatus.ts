import type { FerryStatus, FerryStatusSource } from '@ferry/client/status';
import type { Readable } from 'svelte/store';
import { sourceStore } from './lib/sourceStore.ts';

/**
 * The status snapshot (`createFerryStatus(client)` from `@ferry/client/status`) as a readable
 * store: `$status.counts.pending`. Its first subscriber loads the snapshot (one request); it is then
 * kept from the change feed, without a request per change. Before the load answers, `loaded` is
 * false. When its last subscriber leaves, it stops listening. Make one per status source, outside
 * components (a module's top level), and share it.
 */
export function ferryStatus(status: FerryStatusSource): Readable<FerryStatus> {
  return sourceStore(status);
}
