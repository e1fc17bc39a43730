import { describe, expect, it } from 'vitest';
import { IdbStore } from './IdbStore.ts';
import type { Operation } from './lib/core.ts';
import {
  buildV1,
  IDBFactory,
  layout,
  op,
  rawAll,
  rawOpen,
  settle,
  CURRENT_LAYOUT,
  virtualClock,
} from './lib/testSupport.ts';
import { SCHEMA_VERSION } from './schema.ts';

// A v1 op: the Operation fields only.
const v1 = (fields: Partial<Operation> & { id: string; seq: number }): Operation => op(fields);

describe('schema', () => {
  it('creates the current layout in a fresh database', async () => {
    const factory = new IDBFactory();
    await (await IdbStore.open({ indexedDB: factory })).close();
    expect(SCHEMA_VERSION).toBe(3);
    expect(await layout(factory)).toEqual(CURRENT_LAYOUT);
  });

  it('migrates a v1 database without dropping a queued op', async () => {
    const factory = new IDBFactory();
    const ops = [
      v1({ id: 'chat1', seq: 1, lane: 'chat', nextAttemptAt: 100 }),
      v1({ id: 'chat2', seq: 2, lane: 'chat' }),
      v1({ id: 'sync0', seq: 3, lane: 'sync', status: 'done' }),
      v1({
        id: 'sync1',
        seq: 4,
        lane: 'sync',
        nextAttemptAt: 50,
        lastError: { message: 'offline', retryable: true, at: 1 },
      }),
      v1({ id: 'sync2', seq: 5, lane: 'sync' }),
    ];
    await buildV1(factory, ops, [
      { type: 'put', opId: 'chat1', at: 1, status: 'pending' },
      { type: 'put', opId: 'chat2', at: 2, status: 'pending' },
    ]);

    const store = await IdbStore.open({ indexedDB: factory });
    const [heads, all, wal] = await store.transaction(
      'readonly',
      async (tx) => [await tx.dueHeads(1_000, 10), await tx.listOps({}), await tx.walFrom(0, 10)] as const,
    );
    // Exactly one head per lane, due order.
    expect(heads.map((o) => o.id)).toEqual(['sync1', 'chat1']);
    expect(heads[0]).toMatchObject({ v: 1, dueKey: [50, 4], laneKey: ['sync', 4], statusKey: ['pending', 4] });
    expect(all.map((o) => o.id)).toEqual(ops.map((o) => o.id));
    const sync0 = all.find((o) => o.id === 'sync0');
    expect(sync0?.laneKey).toBeUndefined(); // done: out of the lane index
    expect(wal.map((r) => [r.lsn, r.v, r.opId])).toEqual([
      [1, 1, 'chat1'],
      [2, 1, 'chat2'],
    ]);
    // The key generator survived: LSNs go on from v1's.
    expect(await store.transaction('readwrite', (tx) => tx.appendWal({ type: 'claim', opId: 'sync1', at: 3 }))).toBe(3);
    await store.close();
    expect(await layout(factory)).toEqual(CURRENT_LAYOUT);
  });

  it('makes the next readable op the head when a lane head cannot be read, and keeps the unreadable one', async () => {
    const factory = new IDBFactory();
    const broken = { ...v1({ id: 'h1', seq: 1, lane: 'h' }), target: 42 };
    await buildV1(
      factory,
      [
        broken,
        v1({ id: 'h2', seq: 2, lane: 'h' }),
        v1({ id: 'x1', seq: 3, lane: 'x', status: 'inflight', leaseOwner: 'w', leaseUntil: 70 }),
        v1({ id: 'x2', seq: 4, lane: 'x' }),
      ],
      [{ type: 'bogus', opId: 'h1', at: 1 }],
    );
    const store = await IdbStore.open({ indexedDB: factory, clock: virtualClock(5) });
    const [heads, leases, quarantined] = await store.transaction(
      'readonly',
      async (tx) =>
        [await tx.dueHeads(1_000, 10), await tx.expiredLeases(1_000, 10), await tx.quarantined(10)] as const,
    );
    expect(heads.map((o) => o.id)).toEqual(['h2']); // x2 waits behind the inflight x1
    expect(leases.map((o) => o.id)).toEqual(['x1']);
    expect(quarantined).toEqual([
      { from: 'outbox', key: 'h1', reason: 'upgrade to v2: bad target', at: 5, raw: broken },
      {
        from: 'wal',
        key: 1,
        reason: 'upgrade to v2: bad type',
        at: 5,
        raw: { type: 'bogus', opId: 'h1', at: 1, lsn: 1 },
      },
    ]);
  });

  it('leaves a v1 database untouched when the upgrade fails', async () => {
    const factory = new IDBFactory();
    const queued = v1({ id: 'q1', seq: 1 });
    await buildV1(factory, [queued], [], { withWalStore: false }); // no wal store: the migration throws
    await expect(IdbStore.open({ indexedDB: factory })).rejects.toMatchObject({
      code: 'storage-unavailable',
      message: expect.stringContaining('NotFoundError'),
    });
    const db = await rawOpen(factory, 'ferry');
    expect(db.version).toBe(1);
    expect(await settle(db.transaction('outbox').objectStore('outbox').getAll())).toEqual([queued]);
    db.close();
    expect(await rawAll(factory, 'outbox')).toHaveLength(1);
  });
});
