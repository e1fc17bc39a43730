/// <reference lib="webworker" />
/**
 * The workbox side's service worker: workbox-background-sync's `Queue` from
 * the npm package. Its `onSync` does nothing, so that requests stay queued
 * until the bench asks for `replayRequests()`.
 */
import { Queue } from 'workbox-background-sync';
import type { BenchRequest } from '../page/wire.ts';

declare const self: ServiceWorkerGlobalScope;

const queue = new Queue('bench', { onSync: async () => {} });

self.addEventListener('install', (e) => e.waitUntil(self.skipWaiting()));
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('message', (e) => {
  const req = e.data as BenchRequest;
  const port = e.ports[0];
  const work = async (): Promise<unknown> => {
    switch (req.type) {
      case 'push':
        await queue.pushRequest({
          request: new Request(new URL(req.op.target, self.location.origin), {
            method: 'POST',
            body: JSON.stringify(req.op.payload),
            headers: { 'Content-Type': 'application/json', 'Idempotency-Key': req.op.key },
          }),
        });
        return null;
      case 'replay':
        await queue.replayRequests();
        return null;
      default:
        throw new Error(`workbox side: unknown request ${req.type}`);
    }
  };
  e.waitUntil(
    work().then(
      (result) => port?.postMessage({ ok: true, result }),
      (err: unknown) => port?.postMessage({ ok: false, error: String(err) }),
    ),
  );
});
