/**
 * The batch half of the store conformance suite: claiming several ops of a
 * lane at once and settling one batch send in one transaction. Run by
 * {@link storeConformance} over every store.
 */
import { describe, expect, it } from 'vitest';
import { FerryError } from '../FerryError.ts';
import type { Operation, OperationInput } from '../Operation.ts';
import type { Outbox } from '../outbox/Outbox.ts';
import { claim, settle } from './conformanceKit.ts';
import type { ConformanceSetup } from './conformanceKit.ts';

const msg = (text: string, lane = 'chat'): OperationInput => ({
  kind: 'message.send',
  target: '/api/messages',
  payload: { text },
  lane,
});
const ids = (ops: readonly Operation[]): string[] => ops.map((o) => o.id);
const ok = { ok: true as const } as const;

/** Enqueues `n` ops in lane `chat`. */
async function lane(outbox: Outbox, n: number): Promise<{ chat: Operation[] }> {
  const chat: Operation[] = [];
  for (let i = 0; i < n; i++) chat.push(await outbox.enqueue(msg(`c${i}`)));
  return { chat };
}

export function batchConformance(setup: ConformanceSetup): void {
  describe('batches', () => {
    it('claims a lane head with the due ops right behind it, in order; the lane is busy until they settle', async () => {
      const { outbox } = await setup();
      const { chat } = await lane(outbox, 5);
      const other = await outbox.enqueue(msg('o', 'other'));
      const claimed = await claim(outbox, 'w', 10, 1000, 3);
      expect(ids(claimed)).toEqual([...ids(chat.slice(0, 3)), other.id]);
      expect(claimed.every((o) => o.status === 'inflight' && o.leaseOwner === 'w')).toBe(true);
      // c3 is pending, but its lane has a batch in flight.
      expect(await claim(outbox, 'w', 10, 1000, 3)).toEqual([]);
    });

    it('a batch answered in full is done in one change, and the next op heads the lane', async () => {
      const { outbox } = await setup();
      const { chat } = await lane(outbox, 4);
      const run = await claim(outbox, 'w', 1, 1000, 3);
      expect(ids(run)).toEqual(ids(chat.slice(0, 3)));
      const after = await settle(outbox, run, [ok, ok, ok]);
      expect(after.map((o) => [o.id, o.status, o.attempt])).toEqual(chat.slice(0, 3).map((o) => [o.id, 'done', 1]));
      expect(ids(await claim(outbox, 'w', 10, 1000, 3))).toEqual([chat[3]?.id]);
      const types = (await outbox.wal.records()).filter((r) => r.type === 'done').map((r) => r.opId);
      expect(types).toEqual(ids(chat.slice(0, 3)));
    });

    it('a retryable failure mid-batch: the ones before are done, it backs off at the head, the ones behind wait unspent', async () => {
      const { outbox, clock } = await setup({ baseDelayMs: 500 });
      const { chat } = await lane(outbox, 4);
      const run = await claim(outbox, 'w', 1, 1000, 4);
      const busy = { ok: false as const, retryable: true, status: 503, error: 'busy' };
      await settle(outbox, run, [ok, busy, ok, ok]);
      const [c0, c1, c2, c3] = await Promise.all(chat.map((o) => outbox.get(o.id)));
      expect(c0).toMatchObject({ status: 'done', attempt: 1 });
      expect(c1).toMatchObject({
        status: 'pending',
        attempt: 1,
        nextAttemptAt: clock.now() + 500,
        lastError: { status: 503 },
      });
      // A success the server reported after a failure is not trusted: order says it cannot have been applied.
      expect(c2).toMatchObject({ status: 'pending', attempt: 0 });
      expect(c3).toMatchObject({ status: 'pending', attempt: 0 });
      expect(await claim(outbox, 'w', 10, 1000, 4)).toEqual([]);
      clock.advance(500);
      expect(ids(await claim(outbox, 'w', 10, 1000, 4))).toEqual(ids(chat.slice(1)));
    });

    it('a permanent failure mid-batch parks that op alone; the next one heads the lane at once', async () => {
      const { outbox } = await setup();
      const { chat } = await lane(outbox, 4);
      const run = await claim(outbox, 'w', 1, 1000, 4);
      await settle(outbox, run, [ok, { ok: false, retryable: false, status: 400, error: 'bad' }]);
      expect(await outbox.get(chat[1]?.id as string)).toMatchObject({ status: 'failed', attempt: 1 });
      expect(await outbox.stats()).toMatchObject({ done: 1, failed: 1, pending: 2, inflight: 0 });
      expect(ids(await claim(outbox, 'w', 10, 1000, 4))).toEqual(ids(chat.slice(2)));
    });

    it('ops left without an answer return to the lane unspent, due at once, first one heading it', async () => {
      const { outbox, clock } = await setup();
      const { chat } = await lane(outbox, 3);
      const run = await claim(outbox, 'w', 1, 1000, 3);
      await settle(outbox, run, [ok]);
      expect(await outbox.get(chat[1]?.id as string)).toMatchObject({
        status: 'pending',
        attempt: 0,
        nextAttemptAt: clock.now(),
      });
      expect(ids(await claim(outbox, 'w', 10, 1000, 3))).toEqual(ids(chat.slice(1)));
    });

    it('a failure while offline spends nothing; the last op failing lets the next lane op go on', async () => {
      const { outbox } = await setup();
      const { chat } = await lane(outbox, 3);
      const first = await claim(outbox, 'w', 1, 1000, 2);
      await settle(outbox, first, [{ ok: false, retryable: true, error: 'network error' }], { offline: true });
      expect(await outbox.get(chat[0]?.id as string)).toMatchObject({ status: 'pending', attempt: 0 });
      const again = await claim(outbox, 'w', 1, 1000, 2);
      await settle(outbox, again, [ok, { ok: false, retryable: false, error: 'no' }]);
      expect(ids(await claim(outbox, 'w', 10, 1000, 2))).toEqual([chat[2]?.id]);
    });

    it('only the lease holder settles a batch, and only a run of one lane in order; nothing is written otherwise', async () => {
      const { outbox } = await setup();
      await lane(outbox, 2);
      const other = await outbox.enqueue(msg('o', 'other'));
      const claimed = await claim(outbox, 'w', 10, 1000, 2);
      const [c0, c1, co] = claimed as [Operation, Operation, Operation];
      expect(co.id).toBe(other.id);
      const before = await outbox.list();
      for (const attempt of [
        settle(
          outbox,
          [c0, c1].map((c) => ({ ...c, leaseOwner: 'intruder' })),
          [ok, ok],
        ),
        settle(outbox, [c1, c0], [ok, ok]),
        settle(outbox, [c0, co], [ok, ok]),
      ]) {
        const err = await attempt.catch((e: unknown) => e);
        expect(err).toBeInstanceOf(FerryError);
        expect((err as FerryError).code).toBe('invalid-state');
      }
      expect(await outbox.list()).toEqual(before);
    });

    it('an expired batch lease requeues every op, the first one alone heading the lane', async () => {
      const { outbox, clock } = await setup();
      const { chat } = await lane(outbox, 3);
      const claimed = await claim(outbox, 'dead', 1, 100, 3);
      // The runner started the send, then died.
      await outbox.delivery.exchange({ onWire: claimed });
      clock.advance(100);
      expect(ids(await outbox.delivery.requeueExpired())).toEqual(ids(chat));
      expect((await outbox.list({ status: 'pending', lane: 'chat' })).map((o) => o.attempt)).toEqual([1, 1, 1]);
      // One head per lane: a one-op claim takes the first only, then the lane is busy.
      expect(ids(await claim(outbox, 'w', 10, 1000))).toEqual([chat[0]?.id]);
      expect(ids(await claim(outbox, 'w', 10, 1000))).toEqual([]);
    });
  });
}
