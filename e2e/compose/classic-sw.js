// A hand-written classic worker, no build step: Ferry's prebuilt bundle defines the global `ferry`.
/* global importScripts, ferry */
importScripts('/ferry-sw.classic.js');

ferry
  .createFerryHost({
    retry: { baseDelayMs: 100, maxDelayMs: 1000, jitter: false },
    // The app's headers, asked at every send.
    transport: { headers: () => ({ 'X-App': 'classic' }) },
  })
  .listen(self, { skipWaiting: true, clientsClaim: true });
