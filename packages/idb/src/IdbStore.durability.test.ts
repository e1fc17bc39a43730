import { Outbox, SyncWorker } from '@ferry/core';
import type { Operation, SendResult, Transport } from '@ferry/core';
import { VirtualClock } from '@ferry/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openTestStore } from './lib/testSupport.ts';

const input = (text: string, lane: string) => ({
  kind: 'message.send',
  target: '/api/messages',
  payload: { text },
  lane,
});

/** The durability of every readwrite transaction opened on IndexedDB while `fn` runs, in order. */
async function durabilities(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const real = IDBDatabase.prototype.transaction;
  const spy = vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (
    this: IDBDatabase,
    ...args: Parameters<IDBDatabase['transaction']>
  ) {
    const [, mode, options] = args;
    if (mode === 'readwrite') seen.push(options?.durability ?? 'default');
    return real.apply(this, args);
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return seen;
}

async function setup() {
  const clock = new VirtualClock();
  const { store } = await openTestStore({ clock });
  const outbox = new Outbox({ store, clock });
  // `refuse` ops get a permanent 422; every other op is applied.
  const transport: Transport = {
    send: async (op: Operation): Promise<SendResult> =>
      (op.payload as { text: string }).text.startsWith('refuse')
        ? { ok: false, retryable: false, status: 422 }
        : { ok: true },
  };
  const worker = new SyncWorker({ outbox, transport, clock, timers: clock, concurrency: 4 });
  return { store, outbox, worker, clock };
}

describe('IdbStore durability by what a transaction protects (default strict store)', () => {
  afterEach(() => vi.restoreAllMocks());

  it("commits the app's writes strict: enqueue, group commit, update, remove, retry, release", async () => {
    const { outbox, worker } = await setup();
    const seen = await durabilities(async () => {
      await outbox.enqueue(input('a', 'l1'));
      await Promise.all([outbox.enqueue(input('b', 'l2')), outbox.enqueue(input('c', 'l3'))]);
      const d = await outbox.enqueue(input('d', 'l4'));
      await outbox.update(d.id, { payload: { text: 'refuse d' } });
      const e = await outbox.enqueue(input('e', 'l5'));
      await outbox.remove(e.id);
      // Nothing would release a held head again if its release were lost.
      await outbox.delivery.release(() => true);
    });
    expect(seen.length).toBeGreaterThanOrEqual(7);
    expect(new Set(seen)).toEqual(new Set(['strict']));

    await worker.drain();
    const [failed] = await outbox.list({ status: 'failed' });
    expect(failed).toBeDefined();
    expect(await durabilities(() => outbox.retry(failed!.id))).toEqual(['strict']);
  });

  it('commits delivery bookkeeping relaxed: claims, outcomes (a dead letter too), requeues, compaction', async () => {
    const { outbox, worker, clock } = await setup();
    for (let i = 0; i < 12; i++) await outbox.enqueue(input(i % 4 === 0 ? `refuse ${i}` : `m${i}`, `l${i % 5}`));
    const drained = await durabilities(() => worker.drain());
    expect(await outbox.stats()).toMatchObject({ done: 9, failed: 3, pending: 0, inflight: 0 });
    expect(drained.length).toBeGreaterThan(0);
    expect(new Set(drained)).toEqual(new Set(['relaxed']));

    const requeued = await durabilities(async () => {
      await outbox.delivery.requeueExpired();
      await outbox.delivery.requeueOrphans();
    });
    expect(new Set(requeued)).toEqual(new Set(['relaxed']));

    clock.advance(60_000);
    const compacted = await durabilities(() => outbox.compactIfDue(1000, 1000));
    expect(compacted.length).toBeGreaterThanOrEqual(3);
    expect(new Set(compacted)).toEqual(new Set(['relaxed']));
  });

  it("leaves every transaction at the store's durability when it is relaxed already", async () => {
    const clock = new VirtualClock();
    const { store } = await openTestStore({ clock, durability: 'relaxed' });
    const outbox = new Outbox({ store, clock });
    const seen = await durabilities(() => outbox.enqueue(input('a', 'l1')));
    expect(seen).toEqual(['relaxed']);
  });
});
