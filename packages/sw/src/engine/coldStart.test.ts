/**
 * The cold path, counted: from a worker start, a `sync` event or a page's kick to the first request on the
 * wire, the default store (fake-indexeddb) and Cache Storage log every round trip; what the first send does
 * not need (the storage witness, compaction, status) comes after it.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import type { SendResult, Transport } from '@ferry/core';
import { Outbox } from '@ferry/core';
import { IdbStore } from '@ferry/idb';
import { afterEach, describe, expect, it } from 'vitest';
import { FerryHost } from '../FerryHost.ts';
import { op, port } from '../host.testSupport.ts';
import { testLocks, testPlatform } from '../testing/index.ts';

type Log = string[];

/** Logs each IndexedDB transaction (by mode) and each Cache Storage call into `log`. */
function instrument(log: Log): () => void {
  const proto = globalThis.IDBDatabase.prototype;
  const original = proto.transaction;
  proto.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    log.push(`tx:${args[1] ?? 'readonly'}`);
    return original.apply(this, args);
  };
  const store = new Map<string, string>();
  const cache = {
    match: async (key: string) => {
      log.push('cache.match');
      const body = store.get(key);
      return body === undefined ? undefined : { json: async () => JSON.parse(body) as unknown };
    },
    put: async (key: string, response: Response) => {
      log.push('cache.put');
      store.set(key, await response.text());
    },
  };
  const g = globalThis as { caches?: unknown };
  const hadCaches = 'caches' in g;
  g.caches = {
    open: async () => {
      log.push('caches.open');
      return cache;
    },
  };
  return () => {
    proto.transaction = original;
    if (!hadCaches) delete g.caches;
  };
}

/** A database holding one pending op, written as an earlier worker would have, on a fresh factory. */
async function seeded(): Promise<void> {
  const factory = new IDBFactory();
  globalThis.indexedDB = factory;
  const store = await IdbStore.open({ indexedDB: factory });
  await new Outbox({ store, origin: 'https://app.example' }).enqueue(op);
  await store.close();
}

/** A transport that logs its first call and answers every send with success. */
function transport(log: Log): Transport & { sent: number } {
  return {
    sent: 0,
    async send(): Promise<SendResult> {
      this.sent++;
      log.push('send');
      return { ok: true };
    },
  };
}

const wakes = {
  'worker start': (h: FerryHost) => h.wake(),
  'sync event': (h: FerryHost) => h.onSync(false),
  'page kick': (h: FerryHost) => h.receive({ ferry: true, v: 1, id: 'k', type: 'kick', reason: 'kick' }, port()),
};

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

describe('cold start', () => {
  it.each(Object.entries(wakes))(
    '%s: one readwrite transaction (the claim, which also takes back orphans) before the first send; the witness after it',
    async (_name, wake) => {
      await seeded();
      const log: Log = [];
      restore = instrument(log);
      const t = transport(log);
      const h = new FerryHost({
        transport: t,
        logger: { level: 'error', sink: (e) => log.push(`error:${e.event}`) },
        platform: testPlatform({ locks: () => testLocks() }),
      });
      await wake(h);
      expect(t.sent).toBe(1);
      expect(log.slice(0, log.indexOf('send') + 1)).toEqual(['tx:readwrite', 'send']);
      // The witness still runs, once the first send is under way.
      await h.ready();
      await expect.poll(() => log.includes('caches.open')).toBe(true);
      expect(log.filter((l) => l.startsWith('error'))).toEqual([]);
      await h.close();
    },
  );

  it('an op a dead runner left in flight goes back and out with the first claim, in the same transaction', async () => {
    await seeded();
    // A runner that died mid-send: the op is in flight under its lease, which has not ended.
    const store = await IdbStore.open({ indexedDB: globalThis.indexedDB });
    const outbox = new Outbox({ store, origin: 'https://app.example' });
    const [claimed] = await outbox.delivery.claim({ owner: 'dead', lanes: 1, leaseMs: 3_600_000 });
    await store.close();
    const log: Log = [];
    restore = instrument(log);
    const t = transport(log);
    const h = new FerryHost({
      transport: t,
      logger: { level: 'silent' },
      platform: testPlatform({ locks: () => testLocks() }),
    });
    await h.wake();
    expect(log.slice(0, log.indexOf('send') + 1)).toEqual(['tx:readwrite', 'send']);
    const reply = port();
    await h.receive({ ferry: true, v: 1, id: 'g', type: 'get', opId: claimed?.id }, reply);
    expect(reply.replies[0]).toMatchObject({ ok: true, result: { status: 'done' } });
    await h.close();
  });
});
