import { describe, expect, it } from 'vitest';
import type { FerryError } from '@ferry/core';
import { openDefaultStore } from './defaultStore.ts';

const deleteDatabase = (name: string): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = resolve;
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('delete blocked'));
  });

describe('openDefaultStore in Chromium', () => {
  it('reports a database the browser dropped as storage-lost, once, with real IndexedDB and Cache Storage', async () => {
    await deleteDatabase('ferry');
    await caches.delete('ferry-witness');
    const reported: unknown[] = [];
    const report = (err: unknown): void => void reported.push(err);

    const first = await openDefaultStore(report, 1_000);
    expect(first.lost).toEqual([]);
    await first.store.close();

    const reopened = await openDefaultStore(report, 2_000);
    expect(reopened.lost).toEqual([]);
    await reopened.store.close();
    expect(reported).toEqual([]);

    // What Chromium does to a backing store it finds corrupt: the database is gone, the rest of the origin is not.
    await deleteDatabase('ferry');
    const afterLoss = await openDefaultStore(report, 3_000);
    expect(afterLoss.lost).toEqual([3_000]);
    expect(reported.map((e) => (e as FerryError).code)).toEqual(['storage-lost']);
    await afterLoss.store.close();

    const later = await openDefaultStore(report, 4_000);
    expect(later.lost).toEqual([3_000]);
    expect(reported).toHaveLength(1);
    await later.store.close();
    await deleteDatabase('ferry');
    await caches.delete('ferry-witness');
  });
});
