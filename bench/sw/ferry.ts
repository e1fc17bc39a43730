/// <reference lib="webworker" />
/**
 * The Ferry side's service worker: the host as an app sets it up
 * (createFerryHost, defaults), with one bench hook: a gate in front of the
 * online signal, so that the runner leaves ops queued until the bench opens
 * it. Bench control messages (`{ bench: ... }`) are answered here and kept
 * from the host.
 */
import { IdbStore } from '@ferry/idb';
import { HttpTransport, createFerryHost } from '@ferry/sw';
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
const trace = self.location.search.includes('trace');
createFerryHost({
  isOnline: () => open && navigator.onLine,
  ...(trace && {
    store: async () => traceStore(await IdbStore.open()),
    transport: traceTransport(new HttpTransport()),
  }),
}).listen(self);
