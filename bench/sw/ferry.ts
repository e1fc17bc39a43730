/// <reference lib="webworker" />
/**
 * The Ferry side's service worker: the host as an app sets it up
 * (createFerryHost, defaults), with one bench hook: a gate in front of the
 * online signal, so that the runner leaves ops queued until the bench opens
 * it. Bench control messages (`{ bench: ... }`) are answered here and kept
 * from the host. `?batch` turns on batch mode (the `ferryBatch` origin);
 * `?relaxed` sets `storage.durability: 'relaxed'` (the `ferryRelaxed` origin).
 */
import { IdbStore } from '@ferry/idb';
import { HttpTransport, createFerryHost } from '@ferry/sw';
import { batch } from '@ferry/sw/batch';
import { traceDump, traceStore, traceTransport } from './trace.ts';

declare const self: ServiceWorkerGlobalScope;

let open = false;

self.addEventListener('message', (e) => {
  const data = e.data as { bench?: string; open?: boolean } | null;
  if (!data?.bench) return;
  e.stopImmediatePropagation();
  if (data.bench === 'gate') open = data.open === true;
  e.ports[0]?.postMessage({ ok: true, result: data.bench === 'trace' ? traceDump() : null });
});

// `?trace` (profiling runs only): the same store and transport, timed.
// `?batch`: batch mode, as an app turns it on (a batch endpoint; 25 ops of a lane per request).
const flags = new URLSearchParams(self.location.search);
const transport = new HttpTransport(flags.has('batch') ? { batch: batch({ target: '/api/batch' }) } : {});
const durability: IDBTransactionDurability = flags.has('relaxed') ? 'relaxed' : 'strict';
createFerryHost({
  platform: { isOnline: () => open && navigator.onLine },
  transport: flags.has('trace') ? traceTransport(transport) : transport,
  storage: flags.has('trace') ? { store: async () => traceStore(await IdbStore.open({ durability })) } : { durability },
}).listen(self, { skipWaiting: true, clientsClaim: true });
