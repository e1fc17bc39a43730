import { beforeEach, describe, expect, it } from 'vitest';
import type { IdbStore } from '../IdbStore.ts';
import type { OpRecord, OutboxTx } from './core.ts';
import { openTestStore, rec, seed } from './testSupport.ts';

// Five lanes in the states the queries tell apart.
const a1 = rec({ id: 'a1', seq: 1, lane: 'a', nextAttemptAt: 100 }, true);
const a2 = rec({ id: 'a2', seq: 2, lane: 'a', nextAttemptAt: 0 }); // behind a1: never due
const b1 = rec({ id: 'b1', seq: 3, lane: 'b', status: 'inflight', leaseOwner: 'w1', leaseUntil: 500 });
const b2 = rec({ id: 'b2', seq: 4, lane: 'b' }); // behind an inflight op
const c1 = rec({ id: 'c1', seq: 5, lane: 'c', nextAttemptAt: 50 }, true);
const d1 = rec({ id: 'd1', seq: 6, lane: 'd', nextAttemptAt: 100 }, true);
const e1 = rec({ id: 'e1', seq: 7, lane: 'e', status: 'inflight', leaseOwner: 'w2', leaseUntil: 300 });
const done1 = rec({ id: 'done1', seq: 8, lane: 'a', status: 'done', updatedAt: 10 });
const done2 = rec({ id: 'done2', seq: 9, lane: 'b', status: 'done', updatedAt: 20 });
const f1 = rec({ id: 'f1', seq: 10, lane: 'a', status: 'failed', updatedAt: 0 });
const ALL = [a1, a2, b1, b2, c1, d1, e1, done1, done2, f1];

const ids = (recs: readonly OpRecord[]): string[] => recs.map((r) => r.id);

let store: IdbStore;
const read = <T>(fn: (tx: OutboxTx) => Promise<T>): Promise<T> => store.transaction('readonly', fn);
const write = <T>(fn: (tx: OutboxTx) => Promise<T>): Promise<T> => store.transaction('readwrite', fn);

beforeEach(async () => {
  ({ store } = await openTestStore());
  // Shuffled, so that order in the answers comes from the indexes.
  await seed(store, [f1, d1, a2, done2, b1, c1, a1, e1, b2, done1]);
});

describe('op queries', () => {
  it('getOp returns the record as stored', async () => {
    expect(await read((tx) => tx.getOp('b1'))).toEqual(b1);
    expect(await read((tx) => tx.getOp('nope'))).toBeUndefined();
  });

  it('laneOps lists active ops of a lane in seq order, after afterSeq when given, up to limit', async () => {
    expect(ids(await read((tx) => tx.laneOps('a', undefined, 10)))).toEqual(['a1', 'a2']); // done1 and f1 are not active
    expect(ids(await read((tx) => tx.laneOps('a', undefined, 1)))).toEqual(['a1']);
    expect(ids(await read((tx) => tx.laneOps('a', 1, 10)))).toEqual(['a2']);
    expect(await read((tx) => tx.laneOps('a', 2, 10))).toEqual([]);
    expect(ids(await read((tx) => tx.laneOps('b', undefined, 10)))).toEqual(['b1', 'b2']); // inflight heads its lane
    expect(await read((tx) => tx.laneOps('zzz', undefined, 10))).toEqual([]);
    expect(await read((tx) => tx.laneOps('a', undefined, 0))).toEqual([]);
  });

  it('dueHeads returns due lane heads by [nextAttemptAt, seq], up to limit', async () => {
    expect(ids(await read((tx) => tx.dueHeads(100, 10)))).toEqual(['c1', 'a1', 'd1']);
    expect(ids(await read((tx) => tx.dueHeads(100, 2)))).toEqual(['c1', 'a1']);
    expect(ids(await read((tx) => tx.dueHeads(99, 10)))).toEqual(['c1']);
    expect(await read((tx) => tx.dueHeads(49, 10))).toEqual([]);
    expect(await read((tx) => tx.dueHeads(100, 0))).toEqual([]);
  });

  it('nextDueAt is the earliest nextAttemptAt over pending heads', async () => {
    expect(await read((tx) => tx.nextDueAt())).toBe(50);
    await write((tx) => tx.deleteOp('c1'));
    expect(await read((tx) => tx.nextDueAt())).toBe(100);
  });

  it('expiredLeases returns inflight ops with leaseUntil <= now, by leaseUntil', async () => {
    expect(ids(await read((tx) => tx.expiredLeases(299, 10)))).toEqual([]);
    expect(ids(await read((tx) => tx.expiredLeases(300, 10)))).toEqual(['e1']);
    expect(ids(await read((tx) => tx.expiredLeases(1000, 10)))).toEqual(['e1', 'b1']);
    expect(ids(await read((tx) => tx.expiredLeases(1000, 1)))).toEqual(['e1']);
  });

  it('nextLeaseEnd is the earliest leaseUntil', async () => {
    expect(await read((tx) => tx.nextLeaseEnd())).toBe(300);
  });

  it('inflight lists inflight ops in seq order', async () => {
    expect(ids(await read((tx) => tx.inflight(10)))).toEqual(['b1', 'e1']);
    expect(ids(await read((tx) => tx.inflight(1)))).toEqual(['b1']);
  });

  it('listOps filters by status and lane, in enqueue order, up to limit', async () => {
    expect(ids(await read((tx) => tx.listOps({})))).toEqual(ids(ALL));
    expect(ids(await read((tx) => tx.listOps({ limit: 3 })))).toEqual(['a1', 'a2', 'b1']);
    expect(ids(await read((tx) => tx.listOps({ status: 'pending' })))).toEqual(['a1', 'a2', 'b2', 'c1', 'd1']);
    expect(ids(await read((tx) => tx.listOps({ lane: 'a' })))).toEqual(['a1', 'a2', 'done1', 'f1']);
    expect(ids(await read((tx) => tx.listOps({ lane: 'a', limit: 3 })))).toEqual(['a1', 'a2', 'done1']);
    expect(ids(await read((tx) => tx.listOps({ status: 'pending', lane: 'b' })))).toEqual(['b2']);
    expect(ids(await read((tx) => tx.listOps({ status: 'inflight', lane: 'e' })))).toEqual(['e1']);
    expect(ids(await read((tx) => tx.listOps({ status: 'done', lane: 'b' })))).toEqual(['done2']);
    expect(ids(await read((tx) => tx.listOps({ status: 'failed' })))).toEqual(['f1']);
  });

  it('countByStatus counts every status', async () => {
    expect(await read((tx) => tx.countByStatus())).toEqual({ pending: 5, inflight: 2, done: 2, failed: 1 });
  });

  it('deleteDoneBefore deletes done ops updated before the cutoff, and only those', async () => {
    expect(await write((tx) => tx.deleteDoneBefore(15))).toBe(1);
    expect(ids(await read((tx) => tx.listOps({ status: 'done' })))).toEqual(['done2']);
    expect((await read((tx) => tx.listOps({}))).length).toBe(ALL.length - 1); // f1, updated at 0, stays
  });
});

describe('WAL queries', () => {
  const append = (at: number): Promise<number> =>
    write((tx) => tx.appendWal({ type: 'retry', opId: 'a1', at, status: 'pending', attempt: 1 }));

  it('walFrom returns records from an LSN on, in order, up to limit', async () => {
    for (const at of [1, 2, 3, 4, 5]) await append(at);
    const lsns = async (from: number, limit: number): Promise<number[]> =>
      (await read((tx) => tx.walFrom(from, limit))).map((r) => r.lsn);
    expect(await lsns(3, 10)).toEqual([3, 4, 5]);
    expect(await lsns(1, 2)).toEqual([1, 2]);
    expect(await lsns(0, 10)).toEqual([1, 2, 3, 4, 5]);
    expect(await lsns(6, 10)).toEqual([]);
  });

  it('deleteWalBefore deletes oldest first and stops at the first newer record', async () => {
    for (const at of [10, 30, 5, 40]) await append(at);
    // LSN 3 (at 5) is older than the cutoff but sits behind LSN 2: it stays.
    expect(await write((tx) => tx.deleteWalBefore(25))).toBe(1);
    expect((await read((tx) => tx.walFrom(0, 10))).map((r) => [r.lsn, r.at])).toEqual([
      [2, 30],
      [3, 5],
      [4, 40],
    ]);
    expect(await write((tx) => tx.deleteWalBefore(0))).toBe(0);
  });
});
