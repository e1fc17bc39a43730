import { describe, expect, it } from 'vitest';
import { openTestStore, rawAll, rawPut, rec, seed } from './lib/testSupport.ts';

const unknownVersion = { id: 'x', v: 99 };
// Current version and index keys, so the indexes find it, but no kind, target...
const missingFields = { id: 'y', v: 1, laneKey: ['a', 0], dueKey: [0, 0], statusKey: ['pending', 0], seq: 0 };

async function storeWithCorruptOps() {
  const t = await openTestStore();
  await seed(t.store, [
    rec({ id: 'a1', seq: 1, lane: 'a', nextAttemptAt: 10 }, true),
    rec({ id: 'b1', seq: 2, lane: 'b', nextAttemptAt: 20 }, true),
  ]);
  await rawPut(t.factory, 'outbox', unknownVersion);
  await rawPut(t.factory, 'outbox', missingFields);
  return t;
}

const outboxIds = async (factory: IDBFactory): Promise<string[]> =>
  (await rawAll(factory, 'outbox')).map((r) => (r as { id: string }).id).sort();

describe('unreadable records', () => {
  it('are skipped and reported by readonly reads, and left in place', async () => {
    const { store, factory, corrupt } = await storeWithCorruptOps();
    const ops = await store.transaction('readonly', async (tx) => {
      expect(await tx.getOp('x')).toBeUndefined();
      const all = await tx.listOps({});
      await tx.listOps({}); // read twice: still reported once per transaction
      return all;
    });
    expect(ops.map((o) => o.id)).toEqual(['a1', 'b1']);
    expect(corrupt.map((q) => [q.from, q.key])).toEqual([
      ['outbox', 'x'],
      ['outbox', 'y'],
    ]);
    expect(await outboxIds(factory)).toEqual(['a1', 'b1', 'x', 'y']);
    expect(await store.transaction('readonly', (tx) => tx.quarantined(10))).toEqual([]);
  });

  it('are moved to the quarantine by readwrite reads, reported, and the rest stays readable', async () => {
    const { store, factory, corrupt } = await storeWithCorruptOps();
    await store.transaction('readwrite', async (tx) => {
      expect(await tx.getOp('x')).toBeUndefined();
      // y sorts first by dueKey; the answer is still two valid heads.
      expect((await tx.dueHeads(100, 2)).map((o) => o.id)).toEqual(['a1', 'b1']);
    });
    expect(corrupt.map((q) => [q.key, q.reason])).toEqual([
      ['x', 'unknown schema version 99'],
      ['y', 'bad kind'],
    ]);
    expect(await outboxIds(factory)).toEqual(['a1', 'b1']);

    const quarantined = await store.transaction('readonly', (tx) => tx.quarantined(10));
    expect(quarantined).toEqual([
      { from: 'outbox', key: 'x', reason: 'unknown schema version 99', at: 1_000, raw: unknownVersion },
      { from: 'outbox', key: 'y', reason: 'bad kind', at: 1_000, raw: missingFields },
    ]);
    expect(await store.transaction('readonly', (tx) => tx.quarantined(1))).toHaveLength(1);
    expect(await store.transaction('readonly', (tx) => tx.countByStatus())).toEqual({
      pending: 2,
      inflight: 0,
      done: 0,
      failed: 0,
    });
  });

  it('stay where they were when the readwrite transaction fails', async () => {
    const { store, factory, corrupt } = await storeWithCorruptOps();
    await expect(
      store.transaction('readwrite', async (tx) => {
        await tx.getOp('x');
        throw new Error('later failure');
      }),
    ).rejects.toThrow('later failure');
    expect(corrupt.map((q) => q.key)).toEqual(['x']); // found, even if not moved
    expect(await outboxIds(factory)).toEqual(['a1', 'b1', 'x', 'y']);
  });

  it('in the WAL are skipped, then quarantined, without touching the LSN sequence', async () => {
    const { store, factory, corrupt } = await openTestStore();
    const append = (at: number): Promise<number> =>
      store.transaction('readwrite', (tx) => tx.appendWal({ type: 'put', opId: 'a', at }));
    await append(1);
    await rawPut(factory, 'wal', { lsn: 2, v: 1, type: 'bogus', opId: 'a', at: 2 });
    await append(3);

    expect((await store.transaction('readonly', (tx) => tx.walFrom(0, 2))).map((r) => r.lsn)).toEqual([1, 3]);
    expect(corrupt.map((q) => [q.from, q.key, q.reason])).toEqual([['wal', 2, 'bad type']]);

    expect(await store.transaction('readwrite', (tx) => tx.deleteWalBefore(3))).toBe(1);
    expect((await store.transaction('readonly', (tx) => tx.quarantined(10))).map((q) => q.key)).toEqual([2]);
    expect(await append(4)).toBe(4);
  });

  it('never fail the transaction, even when onCorrupt throws', async () => {
    const reporter = (): void => {
      throw new Error('reporter broke');
    };
    const { store, factory, corrupt } = await openTestStore({ onCorrupt: reporter });
    await rawPut(factory, 'outbox', unknownVersion);
    await expect(store.transaction('readwrite', (tx) => tx.getOp('x'))).resolves.toBeUndefined();
    expect(corrupt).toHaveLength(1);
    expect(await store.transaction('readonly', (tx) => tx.quarantined(10))).toHaveLength(1);
  });
});
