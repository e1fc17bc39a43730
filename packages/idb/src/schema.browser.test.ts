// The v1 → v2 upgrade in real Chromium, where a versionchange transaction
// with cursor work between awaits is the part fake-indexeddb could get wrong.
import { describe, expect, it } from 'vitest';
import { IdbStore } from './IdbStore.ts';
import { buildV1, layout, op, rawPut, CURRENT_LAYOUT } from './lib/testFixtures.ts';

describe('schema in Chromium', () => {
  it('migrates a v1 database: one due head per lane, WAL kept, LSNs go on', async () => {
    const name = `ferry-upgrade-${Date.now()}`;
    const ops = [
      op({ id: 'a1', seq: 1, lane: 'a', nextAttemptAt: 100 }),
      op({ id: 'a2', seq: 2, lane: 'a' }),
      op({ id: 'b1', seq: 3, lane: 'b', nextAttemptAt: 50 }),
      op({ id: 'b2', seq: 4, lane: 'b' }),
    ];
    await buildV1(indexedDB, ops, [{ type: 'put', opId: 'a1', at: 1 }], { name });
    const store = await IdbStore.open({ name });
    const [heads, all, wal] = await store.transaction(
      'readonly',
      async (tx) => [await tx.dueHeads(1_000, 10), await tx.listOps({}), await tx.walFrom(0, 10)] as const,
    );
    expect(heads.map((o) => o.id)).toEqual(['b1', 'a1']);
    expect(all.map((o) => o.id)).toEqual(['a1', 'a2', 'b1', 'b2']);
    expect(wal).toEqual([{ type: 'put', opId: 'a1', at: 1, lsn: 1, v: 1 }]);
    expect(await store.transaction('readwrite', (tx) => tx.appendWal({ type: 'claim', opId: 'b1', at: 2 }))).toBe(2);
    await store.close();
    expect(await layout(indexedDB, name)).toEqual(CURRENT_LAYOUT);
  });

  it('quarantines an unreadable record in a readwrite read and reports it', async () => {
    const name = `ferry-corrupt-${Date.now()}`;
    const reports: unknown[] = [];
    const store = await IdbStore.open({ name, onCorrupt: (q) => reports.push(q.key) });
    await rawPut(indexedDB, 'outbox', { id: 'x', v: 99, statusKey: ['pending', 0], seq: 0 }, name);
    expect(await store.transaction('readwrite', (tx) => tx.listOps({}))).toEqual([]);
    expect(reports).toEqual(['x']);
    expect(await store.transaction('readonly', (tx) => tx.quarantined(10))).toMatchObject([
      { from: 'outbox', key: 'x' },
    ]);
    await store.close();
  });
});
