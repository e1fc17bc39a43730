/**
 * `@ferry/sw/testing`: a host's platform for tests, in Node or a page. The
 * host takes everything it needs of the browser from `platform`
 * (`createFerryHost({ platform: testPlatform() })`), so a test replaces
 * that group alone and keeps every other option as an app sets it.
 */
import type { FerryHost } from '../FerryHost.ts';
import type { PlatformOptions } from '../options.ts';
import type { ChannelLike } from '../platform.ts';
import type { LockManagerLike } from '@ferry/core';
import { memoryLocks } from '@ferry/core/internal';

/** The origin {@link testPlatform} gives the host. */
export const TEST_ORIGIN = 'https://app.example';

/**
 * A platform with no browser behind it: the origin is {@link TEST_ORIGIN},
 * the network online, no Web Locks (the host drains unlocked), no change
 * channel, no Background Sync; the clock, timers and random source are the
 * host's defaults (the globals). `overrides` replace any of them, e.g.
 * `testPlatform({ isOnline: () => false, clock, timers: clock })`.
 */
export function testPlatform(overrides: PlatformOptions = {}): PlatformOptions {
  return {
    origin: () => TEST_ORIGIN,
    isOnline: () => true,
    locks: () => undefined,
    channel: () => undefined,
    backgroundSync: () => undefined,
    ...overrides,
  };
}

/** A change channel that keeps what is posted to it (`sent`) and delivers nothing. */
export function testChannel<M = unknown>(): ChannelLike & { sent: M[] } {
  const sent: M[] = [];
  return {
    sent,
    postMessage: (message) => void sent.push(message as M),
    addEventListener() {},
    removeEventListener() {},
    close() {},
  };
}

/**
 * Web Locks with one exclusive lock for every name, granted in request
 * order; `held` counts the callbacks running under it (0 or 1).
 */
export const testLocks: () => LockManagerLike & { readonly held: number } = memoryLocks;

/**
 * `host` as a page's service worker, without a worker: give `serviceWorker` to a client's platform
 * (`createFerryClient({ platform: { serviceWorker } })`) and each request the client posts is
 * answered by `host.receive` through the port it came with. `requests` lists their types in order.
 */
export function testServiceWorker(host: Pick<FerryHost, 'receive'>): {
  serviceWorker: () => ServiceWorkerContainer;
  requests: string[];
} {
  const requests: string[] = [];
  const controller = {
    postMessage(msg: { type: string }, transfer: Transferable[]) {
      requests.push(msg.type);
      const port = transfer[0] as MessagePort;
      void host.receive(msg, { postMessage: (reply: unknown) => port.postMessage(reply) });
    },
  };
  const container = { controller } as unknown as ServiceWorkerContainer;
  return { serviceWorker: () => container, requests };
}
