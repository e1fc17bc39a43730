/// <reference lib="webworker" />
// What a service worker imports, type-checked in a worker's program (lib WebWorker), as README's snippet.
import { IdbStore } from '@ferry/idb';
import type { FerryHandlers } from '@ferry/sw';
import { createFerryHost, ferryHandlers } from '@ferry/sw';
import { FerryPlugin, workboxHeaders } from '@ferry/workbox';

declare const self: ServiceWorkerGlobalScope;

const host = createFerryHost({
  storage: { store: () => IdbStore.open({ name: 'app' }) },
  allowedOrigins: ['https://api.example'],
  transport: { headers: workboxHeaders() },
});
export const plugin = new FerryPlugin({ host, respond: (op) => Response.json({ id: op.id }, { status: 202 }) });
export const stop: () => void = host.listen(self, { skipWaiting: true, clientsClaim: true });
export const handlers: FerryHandlers = ferryHandlers(host, self);
self.addEventListener('message', (event) => {
  if (handlers.message(event)) return;
});
