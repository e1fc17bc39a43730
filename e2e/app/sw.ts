/// <reference lib="webworker" />
/**
 * The test service worker: a Ferry host with short retry delays, plus an
 * app-shell cache so the test page reloads while offline. Flags in the
 * script URL: `nosync` removes SyncManager before the host starts (as in
 * Firefox and Safari); `noregister` keeps the host from registering sync tags,
 * so that only a CDP-dispatched `sync` can wake it. Numeric flags for the
 * chaos suite: `sendTimeout` (the transport's timeout, ms; each request then
 * carries its send time in `X-Sent-At`, for the checker), `lease` (ms),
 * `attempts` (maxAttempts), `recheck` (offlineRecheckMs), `batch` (batch mode:
 * up to that many ops of a lane per request to `/api/batch`). `defaults`
 * builds the host with no options but the credentials feature, as an app with users gets it (the pages sign
 * users in; every host here has it). `apps=a,b` runs
 * one host per name in this worker (two apps on one origin). `devtools` serves the DevTools panel.
 */
import { createFerryHost } from '../../packages/sw/src/index.ts';
import { batch as batchMode } from '../../packages/sw/src/batch.ts';
import { credentials } from '../../packages/sw/src/credentials/index.ts';
import { devtoolsHost } from '../../packages/sw/src/devtools/index.ts';

declare const self: ServiceWorkerGlobalScope;

const flags = new URLSearchParams(self.location.search);
if (flags.has('nosync')) {
  delete (self as unknown as Record<string, unknown>).SyncManager;
  delete (ServiceWorkerRegistration.prototype as unknown as Record<string, unknown>).sync;
}

const num = (name: string): number | undefined => (flags.has(name) ? Number(flags.get(name)) : undefined);
const sendTimeout = num('sendTimeout');
const lease = num('lease');
const batch = num('batch');

// `defaults`: the host as an app gets it, no test flags at all (the shipped-defaults scenarios).
const options = (
  flags.has('defaults')
    ? { credentials: credentials() }
    : {
        credentials: credentials(),
        retry: { baseDelayMs: 100, maxDelayMs: 1000, jitter: false, maxAttempts: num('attempts') ?? 5 },
        delivery: {
          // Long, so that a test can tell a forwarded `online` from the offline re-check.
          offlineRecheckMs: num('recheck') ?? 60_000,
          ...(batch !== undefined && { batchSize: batch }),
          ...(lease !== undefined && { leaseMs: lease }),
        },
        ...(flags.has('noregister') && { platform: { backgroundSync: () => undefined } }),
        ...(flags.has('devtools') && { devtools: devtoolsHost }),
        transport: {
          ...(sendTimeout !== undefined && {
            timeoutMs: sendTimeout,
            // Stamped inside the send, after its deadline started: the checker's bound on when the client gave up.
            headers: () => ({ 'X-Sent-At': String(Date.now()) }),
          }),
          ...(batch !== undefined && { batch: batchMode({ target: '/api/batch' }) }),
        },
      }
) as Parameters<typeof createFerryHost>[0];
const apps = flags.get('apps')?.split(',') ?? [undefined];
// A worker that is Ferry's alone: it takes over at once.
for (const name of apps)
  createFerryHost({ ...options, ...(name && { name }) }).listen(self, { skipWaiting: true, clientsClaim: true });

// The app's own messages: answered by the app; Ferry leaves them alone (e2e/protocol.spec.ts).
self.addEventListener('message', (e) => {
  if ((e.data as { type?: unknown } | null)?.type === 'GET_VERSION') e.ports[0]?.postMessage({ version: 'e2e' });
});

// App shell: network first, the cache when offline. Test scaffolding, not Ferry.
const SHELL = ['/', '/page.js'];
self.addEventListener('install', (e) => e.waitUntil(caches.open('shell').then((c) => c.addAll(SHELL))));
self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin || !SHELL.includes(url.pathname)) return;
  e.respondWith(
    fetch(e.request).catch(async () => (await caches.match(e.request, { ignoreSearch: true })) ?? Response.error()),
  );
});
