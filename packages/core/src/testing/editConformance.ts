/**
 * The edit half of the store conformance suite: remove, update and
 * coalescing enqueues, and the rule that an op that may have reached the
 * server is never edited in place. Run by {@link storeConformance} over every store.
 */
import { describe, expect, it } from 'vitest';
import { claim, codeOf, complete, fail, msg } from './conformanceKit.ts';
import type { ConformanceSetup } from './conformanceKit.ts';

export function editConformance(setup: ConformanceSetup): void {
  describe('edits', () => {
    it('remove: a pending op is deleted and never claimed, the lane goes on; sent or done it is refused and nothing changes', async () => {
      const { outbox } = await setup();
      const a = await outbox.enqueue(msg('a', 'l'));
      const b = await outbox.enqueue(msg('b', 'l'));
      const c = await outbox.enqueue(msg('c', 'l'));
      expect(await outbox.remove(b.id)).toMatchObject({ id: b.id, status: 'pending' });
      const [head] = await claim(outbox, 'w', 10, 1000);
      expect(head?.id).toBe(a.id);
      expect(await codeOf(outbox.remove(a.id))).toBe('possibly-delivered');
      expect(await outbox.get(a.id)).toMatchObject({ status: 'inflight' });
      await complete(outbox, head!);
      expect(await codeOf(outbox.remove(a.id))).toBe('invalid-state');
      expect(await codeOf(outbox.remove('nope'))).toBe('not-found');
      // The removed op is gone; the one behind it heads the lane.
      expect(await outbox.get(b.id)).toBeUndefined();
      expect((await claim(outbox, 'w', 10, 1000)).map((o) => o.id)).toEqual([c.id]);
      expect((await outbox.wal.records()).filter((r) => r.opId === b.id).map((r) => r.type)).toEqual(['put', 'remove']);
    });

    it('update: a pending op takes the edit in place; a bad patch or an op sent is refused and nothing changes', async () => {
      const { outbox } = await setup();
      const a = await outbox.enqueue(msg('a', 'l'));
      const b = await outbox.enqueue(msg('b', 'l'));
      const edited = await outbox.update(b.id, { payload: { text: 'b, edited' } });
      expect(edited).toMatchObject({
        id: b.id,
        seq: b.seq,
        status: 'pending',
        idempotencyKey: b.idempotencyKey,
        payload: { text: 'b, edited' },
      });
      const cyclic: Record<string, unknown> = {};
      cyclic['self'] = cyclic;
      for (const [patch, code] of [
        [{ payload: cyclic }, 'payload-not-cloneable'],
        [{ target: 'https://evil.example/x' }, 'target-not-allowed'],
        [{ lane: 'other' }, 'invalid-operation'],
        [{ method: 'GET' }, 'invalid-operation'],
        ['text', 'invalid-operation'],
      ] as const) {
        expect(await codeOf(outbox.update(b.id, patch as never))).toBe(code);
      }
      expect(await codeOf(outbox.update('nope', { payload: 1 }))).toBe('not-found');
      expect(await outbox.get(b.id)).toEqual(edited);
      const [head] = await claim(outbox, 'w', 10, 1000);
      expect(await codeOf(outbox.update(a.id, { payload: 'late' }))).toBe('possibly-delivered');
      expect(await outbox.get(a.id)).toMatchObject({ status: 'inflight', payload: { text: 'a' } });
      await complete(outbox, head!);
      expect((await claim(outbox, 'w', 10, 1000)).map((o) => [o.id, o.payload])).toEqual([
        [b.id, { text: 'b, edited' }],
      ]);
    });

    it('coalesce: five saves of one document are one op with the last payload, in its place; merge merges; an op in flight is never folded into', async () => {
      const { outbox } = await setup();
      const save = (n: number, mode?: 'merge') =>
        outbox.enqueue({
          kind: 'doc.save',
          target: '/api/docs/1',
          lane: 'docs',
          payload: mode ? { [`f${n}`]: n } : { v: n },
          coalesce: { key: 'doc:1', ...(mode && { mode }) },
        });
      const first = await save(1);
      const other = await outbox.enqueue(msg('other', 'docs'));
      for (const n of [2, 3, 4, 5]) expect((await save(n)).id).toBe(first.id);
      expect((await outbox.list({ lane: 'docs' })).map((o) => [o.id, o.payload])).toEqual([
        [first.id, { v: 5 }],
        [other.id, { text: 'other' }],
      ]);
      const [head] = await claim(outbox, 'w', 10, 1000);
      expect(head).toMatchObject({ id: first.id, payload: { v: 5 } });
      // In flight: a new save queues behind it, and later ones fold into that one, by merge here.
      const behind = await save(6);
      expect(behind.id).not.toBe(first.id);
      expect((await save(7, 'merge')).id).toBe(behind.id);
      expect((await outbox.get(behind.id))?.payload).toEqual({ v: 6, f7: 7 });
      expect(await outbox.get(first.id)).toMatchObject({ status: 'inflight', payload: { v: 5 } });
      for (const coalesce of [{ key: 7 }, { key: '' }, { key: 'k', mode: 'sum' }, 'k']) {
        expect(await codeOf(outbox.enqueue({ ...msg('x', 'docs'), coalesce } as never))).toBe('invalid-operation');
      }
      expect(
        await codeOf(outbox.enqueue({ ...msg('x', 'docs'), payload: [1], coalesce: { key: 'doc:1', mode: 'merge' } })),
      ).toBe('invalid-operation');
      expect((await outbox.list({ lane: 'docs' })).length).toBe(3);
    });

    it('an op sent once is never edited in place: update and remove refuse it, a coalescing enqueue queues behind it', async () => {
      const { outbox } = await setup();
      const save = (v: number, id?: string) =>
        outbox.enqueue({
          kind: 'doc.save',
          target: '/api/docs/1',
          lane: 'docs',
          payload: { v },
          coalesce: { key: 'doc:1' },
          ...(id && { id }),
        });
      const x = await save(1);
      const [claimed] = await claim(outbox, 'w', 1, 1000);
      expect(claimed?.id).toBe(x.id);
      // The connection dropped as the probe turned offline: booked as unsent, yet the server may have it.
      expect(
        await fail(outbox, claimed!, { ok: false, retryable: true, unanswered: true }, { offline: true }),
      ).toMatchObject({
        status: 'pending',
        attempt: 0,
        failures: 0,
      });
      expect(await codeOf(outbox.update(x.id, { payload: { v: 2 } }))).toBe('possibly-delivered');
      expect(await codeOf(outbox.remove(x.id))).toBe('possibly-delivered');
      const y = await save(2, 'save-2');
      expect(y.id).not.toBe(x.id);
      expect(await outbox.get(x.id)).toMatchObject({
        payload: { v: 1 },
        idempotencyKey: x.idempotencyKey,
        possiblyDelivered: true,
      });
      // Saves after that fold into the new op, which was never sent.
      expect((await save(3, 'save-3')).id).toBe(y.id);
      expect((await outbox.get(y.id))?.payload).toEqual({ v: 3 });
      expect((await outbox.list({ lane: 'docs' })).map((o) => o.id)).toEqual([x.id, y.id]);
    });

    it('a repeated coalescing enqueue resolves to the op it folded into, also once that op is in flight', async () => {
      const { outbox } = await setup();
      const save = (v: number, id: string) =>
        outbox.enqueue({
          id,
          kind: 'doc.save',
          target: '/api/docs/1',
          lane: 'docs',
          payload: { v },
          coalesce: { key: 'doc:1' },
        });
      const first = await save(1, 'save-1');
      expect((await save(2, 'save-2')).id).toBe(first.id);
      const [claimed] = await claim(outbox, 'w', 1, 1000);
      expect(claimed?.payload).toEqual({ v: 2 });
      // The client timed out (worker-timeout) and sends the same enqueue again.
      expect((await save(2, 'save-2')).id).toBe(first.id);
      expect((await outbox.list({ lane: 'docs' })).map((o) => o.id)).toEqual([first.id]);
      await complete(outbox, claimed!);
      expect((await save(2, 'save-2')).id).toBe(first.id);
      expect(await outbox.stats()).toMatchObject({ pending: 0, done: 1 });
    });

    it('update reads and writes in one transaction: racing a coalescing enqueue, neither edit is lost', async () => {
      const { outbox } = await setup();
      const save = (payload: Record<string, number>) =>
        outbox.enqueue({
          kind: 'doc.save',
          target: '/api/docs/1',
          lane: 'docs',
          payload,
          coalesce: { key: 'doc:1', mode: 'merge' },
        });
      const x = await save({ v: 1 });
      const [edited, folded] = await Promise.all([
        outbox.update(x.id, { payload: { v: 1, title: 1 } }),
        save({ body: 2 }),
      ]);
      expect(edited.id).toBe(x.id);
      expect(folded.id).toBe(x.id);
      expect((await outbox.get(x.id))?.payload).toEqual({ v: 1, title: 1, body: 2 });
    });
  });
}
