import { describe, expect, it, vi } from 'vitest';
import { IdbStore } from './IdbStore.ts';
import type { FerryError, WalEntry } from './lib/core.ts';
import { IDBFactory, openTestStore, rawAll, rawOpen, rec } from './lib/testSupport.ts';

const entry = (opId: string, at: number): WalEntry => ({ type: 'put', opId, at, status: 'pending' });

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as FerryError).code;
  }
  throw new Error('expected a rejection');
}

describe('IdbStore.transaction', () => {
  it('commits op and WAL record together', async () => {
    const { store } = await openTestStore();
    const lsn = await store.transaction('readwrite', async (tx) => {
      await tx.addOp(rec({ id: 'a', seq: 1 }, true));
      return tx.appendWal(entry('a', 5));
    });
    const [op, wal] = await store.transaction(
      'readonly',
      async (tx) => [await tx.getOp('a'), await tx.walFrom(0, 10)] as const,
    );
    expect(op?.id).toBe('a');
    expect(wal).toEqual([{ type: 'put', opId: 'a', at: 5, status: 'pending', v: 1, lsn }]);
  });

  it('keeps nothing a throwing callback wrote, and rethrows its error', async () => {
    const { store } = await openTestStore();
    const boom = new Error('boom');
    await expect(
      store.transaction('readwrite', async (tx) => {
        await tx.addOp(rec({ id: 'a', seq: 1 }, true));
        await tx.appendWal(entry('a', 5));
        throw boom;
      }),
    ).rejects.toBe(boom);
    const [op, wal] = await store.transaction(
      'readonly',
      async (tx) => [await tx.getOp('a'), await tx.walFrom(0, 10)] as const,
    );
    expect(op).toBeUndefined();
    expect(wal).toEqual([]);
  });

  it('refuses writes in a readonly transaction', async () => {
    const { store } = await openTestStore();
    expect(await codeOf(store.transaction('readonly', (tx) => tx.putOp(rec({ id: 'a', seq: 1 }))))).toBe(
      'invalid-state',
    );
  });

  it('reports a callback that awaits something else as invalid-state, not a hang', async () => {
    const { store } = await openTestStore();
    const code = await codeOf(
      store.transaction('readwrite', async (tx) => {
        await new Promise((resolve) => setTimeout(resolve, 5)); // the transaction commits meanwhile
        await tx.putOp(rec({ id: 'a', seq: 1 }));
      }),
    );
    expect(code).toBe('invalid-state');
  });

  it('rejects with quota-exceeded when the browser aborts for quota, even if the callback never settles', async () => {
    const spy = vi.spyOn(globalThis.IDBDatabase.prototype, 'transaction');
    try {
      const { store } = await openTestStore();
      const result = store.transaction('readwrite', (tx) => {
        const raw = spy.mock.results.at(-1)?.value as IDBTransaction;
        void tx.putOp(rec({ id: 'a', seq: 1 })).catch(() => {});
        // What Chromium does on a full quota: abort with tx.error set, and no
        // event at all on the pending request (https://github.com/dexie/Dexie.js/issues/840).
        Object.defineProperty(raw, 'error', { value: new DOMException('quota', 'QuotaExceededError') });
        raw.abort();
        return new Promise<never>(() => {});
      });
      await expect(result).rejects.toMatchObject({ code: 'quota-exceeded' });
      expect(await store.transaction('readonly', (tx) => tx.getOp('a'))).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
  });

  it('rejects with closed after close(), having let running transactions finish', async () => {
    const { store } = await openTestStore();
    const running = store.transaction('readwrite', (tx) => tx.putOp(rec({ id: 'a', seq: 1 })));
    await store.close();
    await expect(running).resolves.toBeUndefined();
    expect(await codeOf(store.transaction('readonly', (tx) => tx.getOp('a')))).toBe('closed');
  });
});

describe('addOp', () => {
  it('rejects a duplicate id with duplicate-id, and the caller decides what is kept', async () => {
    const { store } = await openTestStore();
    await store.transaction('readwrite', (tx) => tx.addOp(rec({ id: 'a', seq: 1, kind: 'first' })));

    // Handled inside the callback: the transaction's other writes commit.
    const code = await store.transaction('readwrite', async (tx) => {
      await tx.appendWal(entry('b', 1));
      const err = await tx.addOp(rec({ id: 'a', seq: 2, kind: 'second' })).catch((e: FerryError) => e.code);
      await tx.addOp(rec({ id: 'b', seq: 3 }));
      return err;
    });
    expect(code).toBe('duplicate-id');
    // Propagated: nothing of that transaction is kept.
    expect(
      await codeOf(
        store.transaction('readwrite', async (tx) => {
          await tx.addOp(rec({ id: 'c', seq: 4 }));
          await tx.addOp(rec({ id: 'a', seq: 5 }));
        }),
      ),
    ).toBe('duplicate-id');

    const ops = await store.transaction('readonly', (tx) => tx.listOps({}));
    expect(ops.map((o) => [o.id, o.kind])).toEqual([
      ['a', 'first'],
      ['b', 'message.send'],
    ]);
  });
});

describe('WAL sequence numbers', () => {
  it('increase and are never reused, also after deleting the newest records and reopening', async () => {
    const { store, reopen } = await openTestStore();
    const append = (s: IdbStore, at: number): Promise<number> =>
      s.transaction('readwrite', (tx) => tx.appendWal(entry('a', at)));
    const first = [await append(store, 1), await append(store, 2), await append(store, 3)];
    expect(first).toEqual([1, 2, 3]);

    // Compaction removes every record, the newest included.
    expect(await store.transaction('readwrite', (tx) => tx.deleteWalBefore(10))).toBe(3);
    expect(await append(store, 11)).toBe(4);
    expect(await store.transaction('readwrite', (tx) => tx.deleteWalBefore(100))).toBe(1);
    await store.close();

    const again = await reopen();
    expect(await append(again, 101)).toBe(5);
    const wal = await again.transaction('readonly', (tx) => tx.walFrom(0, 10));
    expect(wal.map((r) => r.lsn)).toEqual([5]);
  });

  it('are stored in the record and never taken from the entry', async () => {
    const { store, factory } = await openTestStore();
    const lsn = await store.transaction('readwrite', (tx) => tx.appendWal({ ...entry('a', 1), lsn: 999 } as WalEntry));
    expect(lsn).toBe(1);
    await store.close();
    expect(await rawAll(factory, 'wal')).toEqual([{ type: 'put', opId: 'a', at: 1, status: 'pending', v: 1, lsn: 1 }]);
  });
});

describe('IdbStore.open', () => {
  it('says whether it created the database: once for a new one, again after the database was deleted', async () => {
    const { store, factory, reopen } = await openTestStore({ name: 'created' });
    expect(store.created).toBe(true);
    await store.close();
    const again = await reopen();
    expect(again.created).toBe(false);
    await again.close();
    await new Promise((resolve, reject) => {
      const req = factory.deleteDatabase('created');
      req.onsuccess = resolve;
      req.onerror = reject;
    });
    const fresh = await reopen();
    expect(fresh.created).toBe(true);
    await fresh.close();
  });

  it('rejects with storage-unavailable when there is no IndexedDB', async () => {
    const saved = globalThis.indexedDB;
    // @ts-expect-error simulating a context without IndexedDB
    delete globalThis.indexedDB;
    try {
      expect(await codeOf(IdbStore.open())).toBe('storage-unavailable');
    } finally {
      globalThis.indexedDB = saved;
    }
  });

  it('rejects with storage-unavailable when the factory throws (opaque origin)', async () => {
    const factory = {
      open: () => {
        throw new DOMException('access denied', 'SecurityError');
      },
    } as unknown as IDBFactory;
    expect(await codeOf(IdbStore.open({ indexedDB: factory }))).toBe('storage-unavailable');
  });

  it('rejects with storage-unavailable when the database is newer than this code', async () => {
    const factory = new IDBFactory();
    (await rawOpen(factory, 'ferry', 4)).close();
    expect(await codeOf(IdbStore.open({ indexedDB: factory }))).toBe('storage-unavailable');
  });

  it('rejects with storage-unavailable when an old connection blocks the upgrade', async () => {
    const factory = new IDBFactory();
    const old = await rawOpen(factory, 'ferry', 1, (db) => db.createObjectStore('outbox', { keyPath: 'id' }));
    // `old` ignores versionchange, as a tab running an old version might.
    await expect(IdbStore.open({ indexedDB: factory })).rejects.toMatchObject({
      code: 'storage-unavailable',
      message: expect.stringContaining('blocked'),
    });
    old.close();
  });

  it('closes its connection for another context upgrading, and says so', async () => {
    const changes: unknown[] = [];
    const closed: FerryError[] = [];
    const { store, factory } = await openTestStore({
      onVersionChange: (c) => changes.push(c),
      onClose: (reason) => closed.push(reason),
    });
    (await rawOpen(factory, 'ferry', 4)).close(); // would be blocked if the store kept its connection
    expect(changes).toEqual([{ oldVersion: 3, newVersion: 4 }]);
    expect(closed.map((r) => r.code)).toEqual(['storage-unavailable']);
    expect(await codeOf(store.transaction('readonly', (tx) => tx.getOp('a')))).toBe('storage-unavailable');
  });

  it('asks for strict durability by default and for what the options say', async () => {
    const spy = vi.spyOn(globalThis.IDBDatabase.prototype, 'transaction');
    try {
      const durabilities = async (options: { durability?: IDBTransactionDurability }): Promise<unknown[]> => {
        spy.mockClear();
        const { store } = await openTestStore(options);
        await store.transaction('readwrite', (tx) => tx.putOp(rec({ id: 'a', seq: 1 })));
        await store.transaction('readonly', (tx) => tx.getOp('a'));
        // The fake opens its own versionchange transaction through the same method.
        return spy.mock.calls
          .filter((call) => call[1] !== 'versionchange')
          .map((call) => (call[2] as IDBTransactionOptions | undefined)?.durability);
      };
      expect(await durabilities({})).toEqual(['strict', undefined]);
      expect(await durabilities({ durability: 'relaxed' })).toEqual(['relaxed', undefined]);
    } finally {
      spy.mockRestore();
    }
  });
});
