import type { FerryHostOptions } from '@ferry/sw';
import { createFerryHost } from '@ferry/sw';
import type { PageTarget } from './types.ts';

/**
 * Page mode, for browsers without service workers: the same host (Outbox +
 * SyncWorker over IndexedDB, under the same `ferry-runner` Web Lock) runs in
 * the tab. Pass the result as the client's `page.host`:
 *
 *     const ferry = createFerryClient({ page: { host: pageHost({ allowedOrigins: [...] }) } });
 *
 * It runs where service workers are missing; `page: { host, always: true }` runs it everywhere.
 *
 * Requests still go through a MessageChannel and the same validator, so both
 * modes behave alike. Each tab runs a host; the lock lets one drain at a time,
 * and the next takes over when that tab closes.
 */
export function pageHost(options: FerryHostOptions = {}): () => PageTarget {
  return () => {
    // Background Sync needs a service worker; the page's wake sources are the client's kicks and the timer.
    const platform = { backgroundSync: () => undefined, ...options.platform };
    const host = createFerryHost({ ...options, platform });
    void host.wake();
    return {
      postMessage(message, transfer) {
        void host.receive(structuredClone(message), transfer[0] as MessagePort);
      },
      close: () => host.close(),
    };
  };
}
