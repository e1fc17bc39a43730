/**
 * The storage scenarios, each beside its floor: raw `idb` with the same
 * durability as the Ferry side, Ferry's default (`strict`) and `relaxed`.
 * Every function returns raw samples; medians and ratios are computed by
 * the runner.
 */
import { Outbox } from '@ferry/core';
import { IdbStore } from '@ferry/idb';
import { deleteDB, openDB } from 'idb';
import type { IDBPDatabase } from 'idb';

/** Per durability, Ferry's samples and its floor's: `ferry` and `floor` are `strict`, Ferry's default. */
export interface ByDurability<T> {
  ferry: T;
  floor: T;
  ferryRelaxed: T;
  floorRelaxed: T;
}

let dbCounter = 0;
const freshName = (what: string): string => `bench-${what}-${Date.now()}-${dbCounter++}`;

const op = (i: number, lane = 'default') => ({
  kind: 'message.send',
  target: '/api/messages',
  lane,
  payload: { id: `msg_${i}`, text: `message number ${i} from the benchmark`, created_at: 1_710_000_000_000 + i },
});

async function openFerry(
  durability: IDBTransactionDurability = 'strict',
): Promise<{ outbox: Outbox; close: () => Promise<void> }> {
  const name = freshName('ferry');
  const store = await IdbStore.open({ name, durability });
  return { outbox: new Outbox({ store }), close: async () => (await store.close(), await deleteDB(name)) };
}

async function openFloor(): Promise<{ db: IDBPDatabase; close: () => Promise<void> }> {
  const name = freshName('floor');
  const db = await openDB(name, 1, { upgrade: (d) => void d.createObjectStore('ops', { keyPath: 'id' }) });
  return { db, close: async () => (db.close(), await deleteDB(name)) };
}

/** A record the size of a stored Ferry op, for the floor's puts. */
function floorRecord(i: number) {
  return {
    ...op(i),
    id: `floor_${i}_${Math.random()}`,
    status: 'pending',
    attempt: 0,
    seq: i,
    nextAttemptAt: 0,
    createdAt: 0,
    updatedAt: 0,
  };
}

async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

/** One enqueue awaited at a time, vs one put in its own transaction of the same durability. Samples in ms. */
async function enqueueLatencyOf(durability: IDBTransactionDurability, n: number): Promise<[number[], number[]]> {
  const f = await openFerry(durability);
  const r = await openFloor();
  await f.outbox.enqueue(op(-1)); // warm up both
  await r.db.put('ops', floorRecord(-1));
  const ferry = await timeEach(n, (i) => f.outbox.enqueue(op(i)));
  const floor = await timeEach(n, async (i) => {
    const tx = r.db.transaction('ops', 'readwrite', { durability });
    await tx.store.put(floorRecord(i));
    await tx.done;
  });
  await f.close();
  await r.close();
  return [ferry, floor];
}

/** n concurrent enqueues, each acknowledged, vs n puts in one transaction of the same durability. Total ms. */
async function burstOf(durability: IDBTransactionDurability, n: number): Promise<[number, number]> {
  const f = await openFerry(durability);
  const r = await openFloor();
  await f.outbox.enqueue(op(-1));
  await r.db.put('ops', floorRecord(-1));
  let t = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => f.outbox.enqueue(op(i))));
  const ferry = performance.now() - t;
  t = performance.now();
  const tx = r.db.transaction('ops', 'readwrite', { durability });
  for (let i = 0; i < n; i++) void tx.store.put(floorRecord(i));
  await tx.done;
  const floor = performance.now() - t;
  await f.close();
  await r.close();
  return [ferry, floor];
}

export const storageScenarios = {
  /** Enqueue latency, `strict` then `relaxed`, each against its floor. Samples in ms. */
  async enqueueLatency(n: number): Promise<ByDurability<number[]>> {
    const [ferry, floor] = await enqueueLatencyOf('strict', n);
    const [ferryRelaxed, floorRelaxed] = await enqueueLatencyOf('relaxed', n);
    return { ferry, floor, ferryRelaxed, floorRelaxed };
  },

  /** A burst, `strict` then `relaxed`, each against its floor. Total ms. */
  async burst(n: number): Promise<ByDurability<number>> {
    const [ferry, floor] = await burstOf('strict', n);
    const [ferryRelaxed, floorRelaxed] = await burstOf('relaxed', n);
    return { ferry, floor, ferryRelaxed, floorRelaxed };
  },

  /**
   * Enqueue and claim-next-batch latency on a store holding `backlog`
   * pending ops (in 100 lanes) against an empty one, both open at once and
   * sampled alternately, after a pause that lets the bulk fill settle, so
   * that background work in the browser weighs on both sides alike.
   */
  async backlog(
    backlog: number,
    samples: number,
  ): Promise<{
    enqueue: { empty: number[]; full: number[] };
    claim: { empty: number[]; full: number[] };
    fillMs: number;
  }> {
    const empty = await openFerry();
    const full = await openFerry();
    let t = performance.now();
    for (let done = 0; done < backlog; done += 1000) {
      const size = Math.min(1000, backlog - done);
      await Promise.all(
        Array.from({ length: size }, (_, i) => full.outbox.enqueue(op(done + i, `backlog-${(done + i) % 100}`))),
      );
    }
    const fillMs = performance.now() - t;
    await new Promise((r) => setTimeout(r, 3000));
    const enqueue = { empty: [] as number[], full: [] as number[] };
    const claim = { empty: [] as number[], full: [] as number[] };
    const sides = [
      [empty.outbox, enqueue.empty, claim.empty],
      [full.outbox, enqueue.full, claim.full],
    ] as const;
    // The claimed batches: 32 lanes, `samples` ops each, enqueued one at a time (timed).
    for (let i = 0; i < 32 * samples; i++) {
      for (const [outbox, out] of sides) {
        t = performance.now();
        await outbox.enqueue(op(i, `measured-${i % 32}`));
        out.push(performance.now() - t);
      }
    }
    for (let s = 0; s < samples; s++) {
      for (const [outbox, , out] of sides) {
        t = performance.now();
        const batch = await outbox.delivery.claim({ owner: 'bench', lanes: 32, leaseMs: 60_000 });
        out.push(performance.now() - t);
        for (const o of batch) await outbox.delivery.exchange({ settlements: [{ run: [o], results: [{ ok: true }] }] });
      }
    }
    await empty.close();
    await full.close();
    return { enqueue, claim, fillMs };
  },
};
