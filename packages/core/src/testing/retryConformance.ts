/**
 * The retry half of the store conformance suite: dead letters put back in
 * their place, under a new key after a 4xx, one or many at once. Run by
 * {@link storeConformance} over every store.
 */
import { describe, expect, it } from 'vitest';
import type { Operation } from '../Operation.ts';
import type { OutboxTx, TxMode } from '../OutboxStore.ts';
import { claim, codeOf, complete, fail, msg } from './conformanceKit.ts';
import type { ConformanceSetup } from './conformanceKit.ts';

export function retryConformance(setup: ConformanceSetup): void {
  describe('retry', () => {
    it('retry puts a dead letter back in its place when nothing of its lane is in flight; remove deletes a dead letter', async () => {
      const { outbox, clock } = await setup();
      const poison = await outbox.enqueue(msg('poison'));
      const b = await outbox.enqueue(msg('b'));
      const [c] = await claim(outbox, 'w', 10, 1000);
      await fail(outbox, c!, { ok: false, retryable: false, error: 'bad', status: 400 });
      expect(await codeOf(outbox.retry(b.id))).toBe('invalid-state');
      clock.advance(10);
      const again = await outbox.retry(poison.id);
      expect(again).toMatchObject({ status: 'pending', attempt: 0, seq: poison.seq });
      expect(again.retriedAt).toBe(clock.now());
      expect(again.lastError).toBeUndefined();
      // A 4xx is stored by a deduplicating server: the retry goes under a new key, not yet sent.
      expect(again.idempotencyKey).not.toBe(poison.idempotencyKey);
      expect(again.possiblyDelivered).toBeUndefined();
      const [cp] = await claim(outbox, 'w', 10, 1000);
      expect(cp?.id).toBe(poison.id);
      expect(await codeOf(outbox.remove(poison.id))).toBe('possibly-delivered');
      await fail(outbox, cp!, { ok: false, retryable: false, error: 'bad again', status: 400 });
      expect(await outbox.remove(poison.id)).toMatchObject({ id: poison.id, status: 'failed' });
      expect(await outbox.get(poison.id)).toBeUndefined();
      expect(await codeOf(outbox.remove('missing'))).toBe('not-found');
      expect((await claim(outbox, 'w', 10, 1000)).map((o) => o.id)).toEqual([b.id]);
    });

    it('retry of a dead letter whose lane has an op in flight queues it behind; a non-4xx keeps its key', async () => {
      const { outbox } = await setup();
      const q: Operation[] = [];
      for (const n of ['1', '2', '3']) q.push(await outbox.enqueue(msg(n, 'q')));
      const [q1, q2, q3] = q as [Operation, Operation, Operation];
      const [c1] = await claim(outbox, 'w', 1, 1000);
      await fail(outbox, c1!, { ok: false, retryable: false, error: 'HTTP 500', status: 500 });
      const [c2] = await claim(outbox, 'w', 1, 1000);
      expect(c2?.id).toBe(q2.id);
      const again = await outbox.retry(q1.id);
      expect(again.seq).toBeGreaterThan(q3.seq);
      expect(again).toMatchObject({ idempotencyKey: q1.idempotencyKey, possiblyDelivered: true });
      await complete(outbox, c2!);
      const order: string[] = [];
      for (let i = 0; i < 2; i++)
        for (const c of await claim(outbox, 'w', 1, 1000)) order.push((await complete(outbox, c)).id);
      expect(order).toEqual([q3.id, q1.id]);
    });

    it('a dead letter last answered 409 "still running" keeps its key: that request may yet be applied', async () => {
      const { outbox } = await setup({ maxAttempts: 1 });
      const op = await outbox.enqueue(msg('x'));
      const [c] = await claim(outbox, 'w', 1, 1000);
      await fail(outbox, c!, { ok: false, retryable: true, status: 409, error: 'HTTP 409: still running' });
      expect(await outbox.get(op.id)).toMatchObject({ status: 'failed', lastError: { status: 409, retryable: true } });
      const again = await outbox.retry(op.id);
      expect(again).toMatchObject({ idempotencyKey: op.idempotencyKey, possiblyDelivered: true });
    });

    it('retry(filter) puts back the dead letters it picks, in enqueue order and place, in one transaction', async () => {
      const { outbox, store } = await setup();
      const ops: Operation[] = [];
      for (const lane of ['a', 'b', 'a', 'b', 'a']) ops.push(await outbox.enqueue(msg(lane, lane)));
      const refused = { ok: false as const, retryable: false, error: 'HTTP 403', status: 403 };
      const refuse = async () => {
        for (const c of await claim(outbox, 'w', 10, 1000)) await fail(outbox, c, refused);
      };
      // Heads of a and b refused, then the next two: four dead letters, the last op of a left pending.
      await refuse();
      await refuse();
      expect((await outbox.list({ status: 'failed' })).map((o) => o.id)).toEqual(ops.slice(0, 4).map((o) => o.id));
      let writes = 0;
      const real = store.transaction.bind(store);
      const counted = (mode: TxMode, fn: (tx: OutboxTx) => Promise<unknown>) => {
        if (mode === 'readwrite') writes++;
        return real(mode, fn);
      };
      store.transaction = counted as typeof store.transaction;
      const back = await outbox.retry({ lane: 'a' });
      store.transaction = real;
      expect(writes).toBe(1);
      expect(back.map((o) => o.id)).toEqual([ops[0]!.id, ops[2]!.id]);
      expect(back.map((o) => o.seq)).toEqual([ops[0]!.seq, ops[2]!.seq]);
      const byIds = await outbox.retry({ ids: [ops[3]!.id, ops[4]!.id, 'missing'] });
      expect(byIds).toMatchObject([{ id: ops[3]!.id, status: 'pending' }]);
      expect((await outbox.retry({ lane: 'b', user: 'nobody' })).length).toBe(0);
      expect((await outbox.list({ status: 'failed' })).map((o) => o.id)).toEqual([ops[1]!.id]);
      // Lane a goes out in its original order again.
      const sent: string[] = [];
      for (let i = 0; i < 4; i++)
        for (const c of await claim(outbox, 'w', 1, 1000)) sent.push((await complete(outbox, c)).id);
      const laneA = sent.filter((id) => ops.find((o) => o.id === id)?.lane === 'a');
      expect(laneA).toEqual([ops[0]!.id, ops[2]!.id, ops[4]!.id]);
    });
  });
}
