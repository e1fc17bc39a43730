/**
 * The outbox under a worker, with the shipped defaults: idempotent enqueue, compaction across
 * restarts, and how many transactions a drain commits per op. Time is virtual.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from './MemoryStore.ts';
import { Outbox } from './outbox/Outbox.ts';
import { SyncWorker } from './SyncWorker.ts';
import { msg, setup } from './delivery.testSupport.ts';
import { claim, complete } from './testing/conformanceKit.ts';
import type { Transport } from './Transport.ts';
import { VirtualClock } from './testing/VirtualClock.ts';

describe('idempotent enqueue', () => {
  it('a repeat with the same id and content succeeds with the stored op; other content under that id is duplicate-id', async () => {
    const { outbox } = setup();
    const input = { ...msg('x'), id: 'op-1', idempotencyKey: 'key-1' };
    const first = await outbox.enqueue(input);
    const again = await outbox.enqueue({ ...input, payload: { text: 'x' } });
    expect(again).toEqual(first);
    const [same, other] = await Promise.allSettled([
      outbox.enqueue(input),
      outbox.enqueue({ ...input, payload: { text: 'y' } }),
    ]);
    expect(same).toMatchObject({ status: 'fulfilled', value: first });
    expect((other as PromiseRejectedResult).reason).toMatchObject({ code: 'duplicate-id' });
    expect((await outbox.wal.records()).filter((r) => r.type === 'put')).toHaveLength(1);
    // Twice in one group commit: one op, both callers answered with it.
    const both = await Promise.all([
      outbox.enqueue({ ...input, id: 'op-2' }),
      outbox.enqueue({ ...input, id: 'op-2' }),
    ]);
    expect(both[0]).toEqual(both[1]);
    expect((await outbox.list()).map((o) => o.id)).toEqual(['op-1', 'op-2']);
  });
});

describe('compaction', () => {
  it('runs at most hourly across restarts, by the time the store keeps, in short transactions', async () => {
    const { clock, store, outbox } = setup();
    for (let i = 0; i < 5; i++) {
      await outbox.enqueue(msg(`m${i}`, `l${i}`));
    }
    for (const c of await claim(outbox, 'w', 5, 1000)) await complete(outbox, c);
    clock.advance(8 * 24 * 3600_000);
    let writes = 0;
    const real = store.transaction.bind(store);
    store.transaction = ((mode, fn) => (
      (writes += mode === 'readwrite' ? 1 : 0),
      real(mode, fn)
    )) as typeof store.transaction;
    expect(await outbox.compact(7 * 24 * 3600_000, 2)).toEqual({ ops: 5, records: 15 });
    // 5 ops in chunks of 2: 3 transactions; 15 records: 8.
    expect(writes).toBe(11);
    await outbox.enqueue(msg('fresh'));
    clock.advance(1);
    expect(await new Outbox({ store, clock }).compactIfDue(0, 3600_000)).toEqual({ ops: 0, records: 1 });
    // A restarted worker (a new Outbox on the same store) within the hour does not walk again.
    expect(await new Outbox({ store, clock }).compactIfDue(0, 3600_000)).toBeUndefined();
    clock.advance(3600_000);
    expect(await new Outbox({ store, clock }).compactIfDue(0, 3600_000)).toEqual({ ops: 0, records: 0 });
    // One Outbox reads the stored time once per period: a wake after each enqueue costs no transaction.
    const same = new Outbox({ store, clock });
    clock.advance(1);
    expect(await same.compactIfDue(0, 3600_000)).toBeUndefined();
    let all = 0;
    store.transaction = ((mode, fn) => (all++, real(mode, fn))) as typeof store.transaction;
    for (let i = 0; i < 3; i++) expect(await same.compactIfDue(0, 3600_000)).toBeUndefined();
    expect(all).toBe(0);
    clock.advance(3600_000);
    expect(await same.compactIfDue(0, 3600_000)).toEqual({ ops: 0, records: 0 });
    expect(all).toBeGreaterThan(0);
  });
});

describe('transactions per op', () => {
  it('a drain of 16 lanes shares its transactions: outcomes and claims that come together are written together', async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore({ clock });
    const outbox = new Outbox({ store, clock });
    for (let i = 0; i < 320; i++) await outbox.enqueue(msg(`m${i}`, `lane${i % 16}`));
    // Readwrite transactions run one at a time and each takes 3 ms to commit, as on IndexedDB.
    let writes = 0;
    let queue: Promise<unknown> = Promise.resolve();
    const real = store.transaction.bind(store);
    store.transaction = ((mode, fn) => {
      if (mode !== 'readwrite') return real(mode, fn);
      writes++;
      const run = queue.then(async () => {
        const result = await real(mode, fn);
        await new Promise((r) => setTimeout(r, 3));
        return result;
      });
      queue = run.catch(() => {});
      return run;
    }) as typeof real;
    // Answers in 5-15 ms of real time, so that sends settle apart, as on a network.
    let n = 0;
    const transport: Transport = {
      send: () => new Promise((r) => setTimeout(() => r({ ok: true }), 5 + (n++ % 3) * 5)),
    };
    const worker = new SyncWorker({ outbox, transport, clock, timers: clock, concurrency: 6 });
    expect(await worker.drain()).toBe(320);
    expect(await outbox.stats()).toMatchObject({ done: 320, inflight: 0, pending: 0 });
    // Outcomes and claims that settle together share a transaction: about 0.5 per op here, where a transaction
    // of its own for each outcome and each claim would take 2.
    expect(writes / 320).toBeLessThan(0.6);
  });
});
