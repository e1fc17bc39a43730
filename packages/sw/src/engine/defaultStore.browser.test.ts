import { describe, expect, it } from 'vitest';
import type { FerryError, LogEvent } from '@ferry/core';
import { ScriptedTransport } from '@ferry/core/testing';
import { FerryHost } from '../FerryHost.ts';
import type { PingResult, Reply } from '@ferry/core/protocol';
import { openDefaultStore } from './defaultStore.ts';

const deleteDatabase = (name: string): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = resolve;
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('delete blocked'));
  });

describe('openDefaultStore in Chromium', () => {
  it.each(['relaxed', 'strict'] as const)(
    'reports a database the browser dropped as storage-lost, once, with real IndexedDB and Cache Storage (%s)',
    async (durability) => {
      await deleteDatabase('ferry');
      await caches.delete('ferry-witness');
      const reported: unknown[] = [];
      const report = (err: unknown): void => void reported.push(err);

      const first = await openDefaultStore(report, 1_000, () => {}, durability);
      await first.witness();
      expect(first.lost).toEqual([]);
      await first.store.close();

      const reopened = await openDefaultStore(report, 2_000, () => {}, durability);
      await reopened.witness();
      expect(reopened.lost).toEqual([]);
      await reopened.store.close();
      expect(reported).toEqual([]);

      // What Chromium does to a backing store it finds corrupt: the database is gone, the rest of the origin is not.
      await deleteDatabase('ferry');
      const afterLoss = await openDefaultStore(report, 3_000, () => {}, durability);
      await afterLoss.witness();
      expect(afterLoss.lost).toEqual([3_000]);
      expect(reported.map((e) => (e as FerryError).code)).toEqual(['storage-lost']);
      await afterLoss.store.close();

      const later = await openDefaultStore(report, 4_000, () => {}, durability);
      await later.witness();
      expect(later.lost).toEqual([3_000]);
      expect(reported).toHaveLength(1);
      await later.store.close();
      await deleteDatabase('ferry');
      await caches.delete('ferry-witness');
    },
  );
});

describe('FerryHost on the default store in Chromium', () => {
  it.each(['relaxed', 'strict'] as const)(
    'goes on with a new database when its own is deleted under it, and reports the loss (%s)',
    async (durability) => {
      await deleteDatabase('ferry');
      await caches.delete('ferry-witness');
      const reported: LogEvent[] = [];
      const host = new FerryHost({
        storage: { durability },
        transport: new ScriptedTransport(),
        platform: { isOnline: () => false, channel: () => undefined, backgroundSync: () => undefined },
        logger: { sink: (e) => void reported.push(e) },
      });
      const ask = async <T>(request: object): Promise<T> => {
        const replies: Reply[] = [];
        await host.receive({ v: 1, id: 'r', ...request }, { postMessage: (m) => void replies.push(m) });
        const reply = replies[0];
        if (!reply?.ok) throw new Error(`request failed: ${JSON.stringify(reply)}`);
        return reply.result as T;
      };
      const op = { kind: 'note', target: '/api/notes', payload: { n: 1 } };
      const before = (await ask<{ id: string }>({ type: 'enqueue', op })).id;

      // Another context (devtools, the app, Chromium's corruption recovery) deletes the database.
      await deleteDatabase('ferry');
      await expect
        .poll(() => reported.map((e) => `${e.event} ${e.error?.code}`), { timeout: 10_000 })
        .toEqual(['storage.failed storage-unavailable', 'storage.lost storage-lost']);

      expect((await ask<PingResult>({ type: 'ping' })).storageLost).toHaveLength(1);
      expect(await ask<unknown>({ type: 'get', opId: before })).toBeNull();
      const after = (await ask<{ id: string }>({ type: 'enqueue', op })).id;
      expect(await ask<{ id: string } | null>({ type: 'get', opId: after })).toMatchObject({
        id: after,
        status: 'pending',
      });
      await host.close();
      await deleteDatabase('ferry');
      await caches.delete('ferry-witness');
    },
  );
});
