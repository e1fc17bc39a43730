/// <reference lib="webworker" />
/**
 * A Workbox worker whose API route uses @ferry/workbox instead of
 * BackgroundSyncPlugin: a POST that fails (network error, 5xx, 429) becomes
 * a Ferry op, and the page gets a 202 with the op's id.
 */
import { registerRoute } from 'workbox-routing';
import { NetworkOnly } from 'workbox-strategies';
import { createFerryHost } from '../../packages/sw/src/index.ts';
import { FerryPlugin, workboxHeaders } from '../../packages/workbox/src/index.ts';

declare const self: ServiceWorkerGlobalScope;

const host = createFerryHost({
  retry: { baseDelayMs: 100, maxDelayMs: 1000, jitter: false },
  // The kept headers of each queued request, and a credential asked at send time (never stored).
  transport: { headers: workboxHeaders(() => ({ Authorization: 'Bearer fresh' })) },
});
host.listen(self, { skipWaiting: true, clientsClaim: true });

registerRoute(
  ({ url }) => url.pathname.startsWith('/api/'),
  new NetworkOnly({ plugins: [new FerryPlugin({ host })] }),
  'POST',
);
