/**
 * One suite for every OutboxStore implementation: MemoryStore runs it in
 * Node, IdbStore runs it under fake-indexeddb and in real Chromium. It drives
 * the stores through the Outbox, so it checks the guarantees a user relies
 * on, plus the few store rules the Outbox cannot check by itself.
 */
import { describe, expect, it } from 'vitest';
import { Outbox } from '../outbox/Outbox.ts';
import type { OutboxStore } from '../OutboxStore.ts';
import { encodeOp } from '../lib/records.ts';
import { VirtualClock } from './VirtualClock.ts';
import { batchConformance } from './batchConformance.ts';
import { deliveryConformance } from './deliveryConformance.ts';
import { editConformance } from './editConformance.ts';
import { quarantineConformance } from './quarantineConformance.ts';
import { retryConformance } from './retryConformance.ts';
import { userConformance } from './userConformance.ts';
import { claim, codeOf, complete, msg } from './conformanceKit.ts';

export interface StoreHarness {
  /** Opens the store; called again after `close()`, it must reopen the same data (a restart). */
  open(): Promise<OutboxStore>;
  /** Writes `raw` under `id` straight into the outbox's storage, bypassing the store. */
  corrupt?(id: string, raw: Record<string, unknown>): Promise<void>;
}

/**
 * @param name shown in the test titles
 * @param makeHarness gives a harness over fresh, empty storage for each test
 */
export function storeConformance(name: string, makeHarness: () => StoreHarness): void {
  describe(`OutboxStore conformance: ${name}`, () => {
    async function setup(retry = {}) {
      const harness = makeHarness();
      const clock = new VirtualClock();
      const store = await harness.open();
      const outbox = new Outbox({ store, clock, retry: { jitter: false, ...retry } });
      return { harness, clock, store, outbox };
    }

    it('an enqueue is readable once acknowledged, with defaults filled in', async () => {
      const { outbox, clock } = await setup();
      const op = await outbox.enqueue(msg('hello'));
      expect(await outbox.get(op.id)).toEqual(op);
      expect(op).toMatchObject({
        status: 'pending',
        attempt: 0,
        lane: 'default',
        method: 'POST',
        createdAt: clock.now(),
      });
      expect(op.id).toMatch(/^[\w-]{21}$/);
      expect(op.idempotencyKey).toMatch(/^[\w-]{21}$/);
    });

    it('a transaction that throws leaves no trace of its writes', async () => {
      const { store, outbox } = await setup();
      const before = await outbox.enqueue(msg('kept'));
      const boom = new Error('boom');
      const err = await store
        .transaction('readwrite', async (tx) => {
          const op = { ...before, id: 'ghost', seq: 999 };
          await tx.appendWal({ type: 'put', opId: 'ghost', at: 1, status: 'pending', op });
          await tx.addOp(encodeOp(op, false));
          await tx.deleteOp(before.id);
          throw boom;
        })
        .catch((e: unknown) => e);
      expect(err).toBe(boom);
      expect(await outbox.get('ghost')).toBeUndefined();
      expect(await outbox.get(before.id)).toEqual(before);
      expect((await outbox.wal.records()).map((r) => r.opId)).toEqual([before.id]);
    });

    it('LSNs increase and are never reused, also after compaction and a restart', async () => {
      const { harness, store, outbox, clock } = await setup();
      const a = await outbox.enqueue(msg('a'));
      const b = await outbox.enqueue(msg('b'));
      expect(b.seq).toBeGreaterThan(a.seq);
      clock.advance(1000);
      await store.transaction('readwrite', (tx) => tx.deleteWalBefore(clock.now()));
      expect(await outbox.wal.records()).toEqual([]);
      await store.close();
      const reopened = new Outbox({ store: await harness.open(), clock });
      const c = await reopened.enqueue(msg('c'));
      expect(c.seq).toBeGreaterThan(b.seq);
    });

    it('concurrent enqueues share commits, each acknowledged, in call order', async () => {
      const { outbox } = await setup();
      const ops = await Promise.all(Array.from({ length: 200 }, (_, i) => outbox.enqueue(msg(`m${i}`))));
      const seqs = ops.map((o) => o.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(200);
      expect((await outbox.list()).map((o) => o.id)).toEqual(ops.map((o) => o.id));
      expect((await outbox.wal.records()).filter((r) => r.type === 'put')).toHaveLength(200);
    });

    it('a duplicate id is rejected and overwrites nothing; its neighbours in the batch commit', async () => {
      const { outbox } = await setup();
      const first = await outbox.enqueue({ ...msg('original'), id: 'op_1' });
      const results = await Promise.allSettled([
        outbox.enqueue(msg('before')),
        outbox.enqueue({ ...msg('impostor'), id: 'op_1' }),
        outbox.enqueue(msg('after')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(await codeOf(Promise.reject((results[1] as PromiseRejectedResult).reason))).toBe('duplicate-id');
      expect(await outbox.get('op_1')).toEqual(first);
      expect(await outbox.stats()).toMatchObject({ pending: 3 });
    });

    it('generated ids never repeat across restarts', async () => {
      const { harness, store, outbox, clock } = await setup();
      const firstRun = await Promise.all(Array.from({ length: 50 }, () => outbox.enqueue(msg('x'))));
      await store.close();
      const again = new Outbox({ store: await harness.open(), clock });
      const secondRun = await Promise.all(Array.from({ length: 50 }, () => again.enqueue(msg('y'))));
      const ids = new Set([...firstRun, ...secondRun].map((o) => o.id));
      expect(ids.size).toBe(100);
      expect((await again.stats()).pending).toBe(100);
    });

    it('replay visits each record once, in LSN order, and resumes where it stopped', async () => {
      const { outbox } = await setup();
      const op = await outbox.enqueue(msg('x'));
      const [c] = await claim(outbox, 'w', 1, 1000);
      await complete(outbox, c!);
      const seen: string[] = [];
      const resume = await outbox.wal.replay(0, (r) => seen.push(`${r.lsn}:${r.type}`));
      expect(seen.map((s) => s.split(':')[1])).toEqual(['put', 'claim', 'done']);
      const lsns = seen.map((s) => Number(s.split(':')[0]));
      expect(lsns).toEqual([...lsns].sort((a, b) => a - b));
      expect(resume).toBe((lsns.at(-1) as number) + 1);
      const again: number[] = [];
      expect(await outbox.wal.replay(resume, (r) => again.push(r.lsn))).toBe(resume);
      expect(again).toEqual([]);
      await outbox.enqueue(msg('y'));
      await outbox.wal.replay(resume, (r) => again.push(r.lsn));
      expect(again).toHaveLength(1);
      const put = (await outbox.wal.records())[0];
      expect(put?.op).toMatchObject({ id: op.id, seq: put?.lsn, payload: { text: 'x' } });
    });

    it('compaction removes old done ops and WAL records, never queued ops', async () => {
      const { outbox, clock } = await setup();
      const done = await outbox.enqueue(msg('done'));
      const queued = await outbox.enqueue(msg('queued', 'other'));
      const [c] = await claim(outbox, 'w', 1, 1000);
      expect(c?.id).toBe(done.id);
      await complete(outbox, c!);
      clock.advance(10_000);
      const fresh = await outbox.enqueue(msg('fresh'));
      expect(await outbox.compact(5_000)).toEqual({ ops: 1, records: 4 });
      expect(await outbox.get(done.id)).toBeUndefined();
      expect(await outbox.get(queued.id)).toMatchObject({ status: 'pending' });
      const kept = await outbox.wal.records();
      expect(kept.map((r) => r.opId)).toEqual([fresh.id]);
      expect(await codeOf(outbox.compact(-1))).toBe('invalid-operation');
    });

    it('lists by status and lane in enqueue order, and counts by status', async () => {
      const { outbox } = await setup();
      const a1 = await outbox.enqueue(msg('a1', 'a'));
      const b1 = await outbox.enqueue(msg('b1', 'b'));
      const a2 = await outbox.enqueue(msg('a2', 'a'));
      await claim(outbox, 'w', 1, 1000);
      expect((await outbox.list({ lane: 'a' })).map((o) => o.id)).toEqual([a1.id, a2.id]);
      expect((await outbox.list({ status: 'pending' })).map((o) => o.id)).toEqual([b1.id, a2.id]);
      expect((await outbox.list({ limit: 2 })).map((o) => o.id)).toEqual([a1.id, b1.id]);
      expect(await outbox.stats()).toEqual({ pending: 2, inflight: 1, done: 0, failed: 0 });
    });

    it("the server's answer is kept with the done op and read back after a restart", async () => {
      const { harness, store, outbox, clock } = await setup();
      const op = await outbox.enqueue(msg('a'));
      const [claimed] = await claim(outbox, 'w', 1, 1000);
      const answer = { status: 201, body: { message: { seq: 7 } }, headers: { location: '/m/7' } };
      expect(await complete(outbox, claimed!, answer)).toMatchObject({ status: 'done', answer });
      await store.close();
      const reopened = new Outbox({ store: await harness.open(), clock });
      expect(await reopened.get(op.id)).toMatchObject({ status: 'done', answer });
    });

    deliveryConformance(setup);
    quarantineConformance(makeHarness);
    userConformance(setup);
    batchConformance(setup);
    editConformance(setup);
    retryConformance(setup);
  });
}
