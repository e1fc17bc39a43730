/**
 * The enqueue path, counted: from the page's `enqueue()` to its promise resolving, over the real client and
 * the real host on the default store (fake-indexeddb), with the bench's gate closed (offline: the op stays
 * queued). Each count is what the acknowledgement needs, no more; what the ack does not need comes after it.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import type { Timers } from '@ferry/core';
import { createFerryHost, ferryHandlers } from '@ferry/sw';
import type { ServiceWorkerScopeLike } from '@ferry/sw';
import { testPlatform } from '@ferry/sw/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createFerryClient } from './createFerryClient.ts';

type Counts = Record<string, number>;

const REQUESTS = ['add', 'put', 'get', 'getKey', 'getAll', 'getAllKeys', 'count', 'delete', 'openCursor'] as const;

/** Counts into `c`: IndexedDB transactions (by mode) and requests (by verb), MessageChannels, and payload clones. */
function instrument(c: Counts): () => void {
  const bump = (key: string): void => void (c[key] = (c[key] ?? 0) + 1);
  const undo: (() => void)[] = [];
  const patch = <T extends object>(proto: T, key: string, wrap: (f: (...a: unknown[]) => unknown) => unknown): void => {
    const p = proto as Record<string, unknown>;
    const original = p[key] as (...a: unknown[]) => unknown;
    p[key] = wrap(original);
    undo.push(() => (p[key] = original));
  };
  patch(
    globalThis.IDBDatabase.prototype,
    'transaction',
    (f) =>
      function (this: unknown, ...a: unknown[]) {
        bump(`idb tx ${(a[1] as string | undefined) ?? 'readonly'}`);
        return f.apply(this, a);
      },
  );
  for (const proto of [globalThis.IDBObjectStore.prototype, globalThis.IDBIndex.prototype])
    for (const verb of REQUESTS)
      if (verb in proto)
        patch(
          proto,
          verb,
          (f) =>
            function (this: unknown, ...a: unknown[]) {
              bump('idb requests');
              return f.apply(this, a);
            },
        );
  const Original = globalThis.MessageChannel;
  globalThis.MessageChannel = class extends Original {
    constructor() {
      super();
      bump('MessageChannels');
    }
  };
  undo.push(() => (globalThis.MessageChannel = Original));
  // A clone or serialization that carries the payload (its marker): the browser's postMessage clone and
  // IndexedDB's are counted where they happen, below and in `idb requests`.
  patch(
    globalThis,
    'structuredClone',
    (f) =>
      function (this: unknown, ...a: unknown[]) {
        inCount = true;
        const carries = JSON.stringify(a[0])?.includes(MARK);
        inCount = false;
        if (carries) bump('payload clones');
        return f.apply(this, a);
      },
  );
  patch(
    JSON,
    'stringify',
    (f) =>
      function (this: unknown, ...a: unknown[]) {
        const out = f.apply(this, a) as string | undefined;
        if (!inCount && typeof a[0] === 'object' && out?.includes(MARK)) bump('payload serializations');
        return out;
      },
  );
  return () => undo.reverse().forEach((u) => u());
}

const MARK = 'payload-marker';

/** Every count the test pins, at zero. */
const NONE: Counts = Object.fromEntries(
  [
    'page posts',
    'MessageChannels',
    'page timers',
    'worker timers',
    'idb tx readwrite',
    'idb tx readonly',
    'idb requests',
    'payload clones',
    'payload serializations',
    'worker replies',
    'broadcasts',
    'sync registrations',
  ].map((k) => [k, 0]),
);

/** `c` over every pinned count (a count the test does not know fails it). */
const counted = (c: Counts): Counts => ({ ...NONE, ...c });
let inCount = false;

/** Timers that count what is set on them, `kind` telling the page's from the worker's. */
function countingTimers(c: Counts, kind: string): Timers {
  return {
    setTimeout: (fn, ms) => {
      c[`${kind} timers`] = (c[`${kind} timers`] ?? 0) + 1;
      return setTimeout(fn, ms);
    },
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
}

/** The page, the worker and what passes between them, every crossing counted in `c`. */
function wire(c: Counts) {
  const bump = (key: string): void => void (c[key] = (c[key] ?? 0) + 1);
  const host = createFerryHost({
    logger: { level: 'silent' },
    platform: testPlatform({
      // The bench's gate, closed: ops stay queued.
      isOnline: () => false,
      timers: countingTimers(c, 'worker'),
      channel: () => ({
        postMessage: () => bump('broadcasts'),
        addEventListener() {},
        removeEventListener() {},
        close() {},
      }),
      backgroundSync: () => ({ register: async () => void bump('sync registrations') }),
    }),
  });
  const scope = {
    location: { origin: 'https://app.example' },
    clients: { claim: async () => {} },
    skipWaiting: async () => {},
    addEventListener() {},
    removeEventListener() {},
  } satisfies ServiceWorkerScopeLike;
  const handlers = ferryHandlers(host, scope);
  /** The counts as each reply left the worker. */
  const atReply: Counts[] = [];
  /** The work each message event extends the worker's life for (`waitUntil`). */
  const extended: Promise<unknown>[] = [];
  const controller = {
    postMessage(message: unknown, transfer: Transferable[]) {
      bump('page posts');
      // The browser clones the message for the worker, and dispatches it in a task of its own.
      inCount = true;
      const data = structuredClone(message);
      inCount = false;
      const port = transfer[0] as MessagePort;
      setTimeout(
        () =>
          handlers.message(
            Object.assign(new Event('message'), {
              data,
              origin: scope.location.origin,
              ports: [
                {
                  postMessage: (m: unknown) => {
                    bump('worker replies');
                    atReply.push({ ...c });
                    port.postMessage(m);
                  },
                },
              ],
              waitUntil: (p: Promise<unknown>) => void extended.push(p),
            }),
          ),
        0,
      );
    },
  };
  const container = { controller } as unknown as ServiceWorkerContainer;
  const client = createFerryClient({
    platform: {
      serviceWorker: () => container,
      channel: () => Object.assign(new EventTarget(), { close() {} }),
      timers: countingTimers(c, 'page'),
    },
    forwardEvents: false,
  });
  const settled = async (): Promise<void> => {
    while (extended.length > 0) await Promise.all(extended.splice(0));
  };
  return { host, client, settled, atReply };
}

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

const op = (n: number) => ({ kind: 'k', target: '/a', lane: `l${n}`, payload: { text: MARK, n } });

describe('the enqueue path', () => {
  it('costs one readwrite transaction, one message each way and one clone of the payload, and nothing after the ack', async () => {
    globalThis.indexedDB = new IDBFactory();
    const c: Counts = {};
    restore = instrument(c);
    const { host, client, settled, atReply } = wire(c);
    // The first enqueue opens the store and reads when the next op is due.
    await client.enqueue(op(0));
    await settled();

    for (let n = 1; n <= 3; n++) {
      for (const k of Object.keys(c)) delete c[k];
      atReply.length = 0;
      await client.enqueue(op(n));
      await settled();
      // Up to the reply leaving the worker (the page's ack follows it in the page's next task), and after it.
      const toAck = counted(atReply[0] ?? {});
      const afterAck = Object.fromEntries(Object.entries(counted(c)).map(([k, v]) => [k, v - (toAck[k] ?? 0)]));
      expect({ n, toAck, afterAck }).toEqual({
        n,
        toAck: {
          ...NONE,
          // The page's post (a task), with the port the reply comes back on, and the request's timeout (set, cleared).
          'page posts': 1,
          MessageChannels: 1,
          'page timers': 1,
          // One transaction: the lane-head read and the WAL append go out together, then the op's add.
          'idb tx readwrite': 1,
          'idb requests': 3,
          // The browser's clone into the worker, IndexedDB's of the op and of its WAL record; the size check.
          'payload clones': 3,
          'payload serializations': 1,
          'worker replies': 1,
        },
        // After the reply: the put's broadcast; the sync registration the first put made still covers it,
        // and the runner, offline, already looks again later (no read of when the next op is due).
        afterAck: { ...NONE, broadcasts: 1 },
      });
    }
    await client.close();
    await host.close();
  });
});
