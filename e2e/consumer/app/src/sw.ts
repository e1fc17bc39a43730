/// <reference lib="webworker" />
/**
 * The app's own service worker: Workbox precaching, the app's update prompt
 * (vite-plugin-pwa's `registerType: 'prompt'`), the app's own messages, and
 * Ferry, imported as ESM. Ferry leaves the lifecycle to the app.
 */
import { createFerryHost } from '@ferry/sw';
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';

declare let self: ServiceWorkerGlobalScope;
declare const __APP_VERSION__: string;
// vite-plugin-pwa's dev worker (`vite dev`) is served without the app's `define`.
const version = typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : 'dev';

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

self.addEventListener('message', (event) => {
  const type = (event.data as { type?: unknown } | null)?.type;
  // The app's prompt: the new version waits until the user accepts (updateSW(true) posts this).
  if (type === 'SKIP_WAITING') void self.skipWaiting();
  if (type === 'GET_VERSION') event.ports[0]?.postMessage({ version });
});
// Once the user accepted, the new version controls the open tabs.
clientsClaim();

createFerryHost({
  // Asked at every send, never stored: here the version, so the test can tell which worker sent what.
  transport: { headers: () => ({ 'X-App-Version': version }) },
  retry: { baseDelayMs: 100, maxDelayMs: 1000 },
}).listen(self);
