/**
 * The delivery half of the store conformance suite: claims of lane heads, outcomes recorded through the
 * delivery, backoff, dead letters, lease expiry and the next wake. Run by {@link storeConformance} over every store.
 */
import { describe, expect, it } from 'vitest';
import type { Operation } from '../Operation.ts';
import { Outbox } from '../outbox/Outbox.ts';
import type { ConformanceSetup } from './conformanceKit.ts';
import { claim, codeOf, complete, fail, msg } from './conformanceKit.ts';

export function deliveryConformance(setup: ConformanceSetup): void {
  describe('delivery', () => {
    it('claims lane heads only, oldest first, at most one in flight per lane', async () => {
      const { outbox } = await setup();
      const a1 = await outbox.enqueue(msg('a1', 'a'));
      const b1 = await outbox.enqueue(msg('b1', 'b'));
      await outbox.enqueue(msg('a2', 'a'));
      const claimed = await claim(outbox, 'w', 10, 1000);
      expect(claimed.map((o) => o.id)).toEqual([a1.id, b1.id]);
      expect(claimed.every((o) => o.status === 'inflight' && o.leaseOwner === 'w')).toBe(true);
      expect(await claim(outbox, 'w', 10, 1000)).toEqual([]);
    });

    it('done promotes the next op of the lane; complete needs the claim', async () => {
      const { outbox } = await setup();
      const a1 = await outbox.enqueue(msg('a1'));
      const a2 = await outbox.enqueue(msg('a2'));
      expect(await codeOf(complete(outbox, { id: a1.id, leaseOwner: 'w' }))).toBe('invalid-argument');
      const [c1] = await claim(outbox, 'w', 10, 1000);
      expect(c1?.leaseToken).toBeGreaterThan(a2.seq);
      expect(await codeOf(complete(outbox, { ...c1!, leaseOwner: 'intruder' }))).toBe('invalid-state');
      // Recording must present the claim's token: without one, nothing is recorded over the claim.
      expect(await codeOf(complete(outbox, { id: c1!.id, leaseOwner: 'w' }))).toBe('invalid-argument');
      expect(await codeOf(fail(outbox, { id: c1!.id, leaseOwner: 'w' }, { ok: false, retryable: false }))).toBe(
        'invalid-argument',
      );
      expect(await outbox.get(a1.id)).toMatchObject({ status: 'inflight', leaseToken: c1?.leaseToken, attempt: 0 });
      expect(await complete(outbox, c1!)).toMatchObject({ status: 'done', attempt: 1 });
      expect(await outbox.get(a1.id)).toMatchObject({ status: 'done' });
      expect((await claim(outbox, 'w', 10, 1000)).map((o) => o.id)).toEqual([a2.id]);
      expect(await codeOf(complete(outbox, { id: 'nope', leaseOwner: 'w' }))).toBe('not-found');
    });

    it('a retryable failure persists the attempt and waits for its backoff', async () => {
      const { outbox, clock, harness, store } = await setup({ baseDelayMs: 500 });
      const op = await outbox.enqueue(msg('x'));
      const [c] = await claim(outbox, 'w', 10, 1000);
      const after = await fail(outbox, c!, { ok: false, retryable: true, error: 'offline?', status: 503 });
      expect(after).toMatchObject({ status: 'pending', attempt: 1, nextAttemptAt: clock.now() + 500 });
      expect(after.lastError).toEqual({ message: 'offline?', status: 503, retryable: true, at: clock.now() });
      await store.close();
      const reopened = new Outbox({ store: await harness.open(), clock, retry: { jitter: false } });
      expect(await reopened.get(op.id)).toMatchObject({ attempt: 1 });
      expect(await claim(reopened, 'w', 10, 1000)).toEqual([]);
      clock.advance(499);
      expect(await claim(reopened, 'w', 10, 1000)).toEqual([]);
      clock.advance(1);
      expect((await claim(reopened, 'w', 10, 1000)).map((o) => o.id)).toEqual([op.id]);
    });

    it('a failure while offline spends no attempt, and a Retry-After that came with it still binds', async () => {
      const { outbox, clock } = await setup();
      await outbox.enqueue(msg('x'));
      const [c] = await claim(outbox, 'w', 10, 1000);
      const after = await fail(outbox, c!, { ok: false, retryable: true, error: 'network offline' }, { offline: true });
      expect(after).toMatchObject({ status: 'pending', attempt: 0, nextAttemptAt: clock.now() });
      const [again] = await claim(outbox, 'w', 10, 1000);
      const busy = { ok: false as const, retryable: true, status: 429, retryAfterMs: 5000, error: 'HTTP 429' };
      expect(await fail(outbox, again!, busy, { offline: true })).toMatchObject({
        attempt: 0,
        nextAttemptAt: clock.now() + 5000,
      });
    });

    it('exhausted attempts make the op failed, and failed ops are never claimed again', async () => {
      const { outbox, clock } = await setup({ maxAttempts: 2, baseDelayMs: 10 });
      const op = await outbox.enqueue(msg('x'));
      const next = await outbox.enqueue(msg('y'));
      for (let i = 0; i < 2; i++) {
        const claimed = await claim(outbox, 'w', 1, 1000);
        expect(claimed.map((o) => o.id)).toEqual([op.id]);
        await fail(outbox, claimed[0]!, { ok: false, retryable: true, error: '503' });
        clock.advance(1000);
      }
      expect(await outbox.get(op.id)).toMatchObject({ status: 'failed', attempt: 2 });
      expect((await outbox.get(op.id))?.lastError?.message).toMatch(/gave up after 2 attempts/);
      clock.advance(1e9);
      expect((await claim(outbox, 'w', 10, 1000)).map((o) => o.id)).toEqual([next.id]);
    });

    it('a permanent failure parks the op and lets the lane go on', async () => {
      const { outbox } = await setup();
      const poison = await outbox.enqueue(msg('poison'));
      const behind = await outbox.enqueue(msg('behind'));
      const [c] = await claim(outbox, 'w', 10, 1000);
      expect(await fail(outbox, c!, { ok: false, retryable: false, error: 'bad request', status: 400 })).toMatchObject({
        status: 'failed',
        attempt: 1,
      });
      expect((await outbox.list({ status: 'failed' })).map((o) => o.id)).toEqual([poison.id]);
      expect((await claim(outbox, 'w', 10, 1000)).map((o) => o.id)).toEqual([behind.id]);
    });

    it('removing a pending lane head promotes the next op', async () => {
      const { outbox } = await setup();
      const a = await outbox.enqueue(msg('a'));
      const b = await outbox.enqueue(msg('b'));
      await outbox.remove(a.id);
      expect((await claim(outbox, 'w', 10, 1000)).map((o) => o.id)).toEqual([b.id]);
    });

    it('expired leases return to pending, the attempt counted once on the wire; a claim never sent spends nothing', async () => {
      const { outbox, clock } = await setup({ maxAttempts: 2 });
      const a = await outbox.enqueue(msg('a', 'a'));
      const b = await outbox.enqueue(msg('b', 'b'));
      const onWire = (claims: Operation[]) => outbox.delivery.exchange({ onWire: claims });
      await onWire(await claim(outbox, 'dead', 1, 100));
      await claim(outbox, 'alive', 1, 100_000);
      expect(await outbox.delivery.nextWakeAt()).toBe(clock.now() + 100);
      clock.advance(99);
      expect(await outbox.delivery.requeueExpired()).toEqual([]);
      clock.advance(1);
      expect((await outbox.delivery.requeueExpired()).map((o) => o.id)).toEqual([a.id]);
      expect(await outbox.get(a.id)).toMatchObject({ status: 'pending', attempt: 1, nextAttemptAt: clock.now() });
      // Claimed by a runner that died before sending it: back, nothing spent, no error made up.
      expect((await outbox.delivery.requeueOrphans()).map((o) => o.id)).toEqual([b.id]);
      expect(await outbox.get(b.id)).toMatchObject({
        status: 'pending',
        attempt: 0,
        failures: 0,
        possiblyDelivered: true,
      });
      expect((await outbox.get(b.id))?.lastError).toBeUndefined();
      await onWire(await claim(outbox, 'dead', 1, 100));
      clock.advance(100);
      expect(await outbox.delivery.requeueExpired()).toMatchObject([{ id: a.id, status: 'failed', attempt: 2 }]);
    });

    it('nextWakeAt is the earliest due head or lease end', async () => {
      const { outbox, clock } = await setup({ baseDelayMs: 5000 });
      expect(await outbox.delivery.nextWakeAt()).toBeUndefined();
      const op = await outbox.enqueue(msg('x'));
      expect(await outbox.delivery.nextWakeAt()).toBe(clock.now());
      const [c] = await claim(outbox, 'w', 1, 60_000);
      expect(c?.id).toBe(op.id);
      expect(await outbox.delivery.nextWakeAt()).toBe(clock.now() + 60_000);
      await fail(outbox, c!, { ok: false, retryable: true });
      expect(await outbox.delivery.nextWakeAt()).toBe(clock.now() + 5000);
    });

    it('a claim that defers one lane claims each other lane once', async () => {
      const { outbox, clock } = await setup();
      const paused = await outbox.enqueue(msg('paused', 'p'));
      const free = await outbox.enqueue(msg('free', 'f'));
      const pausedUntil = (op: { id: string }): number | undefined =>
        op.id === paused.id ? clock.now() + 5000 : undefined;
      const claimed = await outbox.delivery.claim({ owner: 'w', lanes: 10, leaseMs: 1000, pausedUntil });
      expect(claimed.map((o) => o.id)).toEqual([free.id]);
      expect((await outbox.wal.records()).filter((r) => r.type === 'claim')).toHaveLength(1);
    });

    it("a pause an origin asks for lasts at most the retry policy's maxRetryAfterMs", async () => {
      const { outbox, clock } = await setup({ maxRetryAfterMs: 60_000 });
      const op = await outbox.enqueue(msg('paused'));
      const pausedUntil = (): number => clock.now() + 86_400_000;
      expect(await outbox.delivery.claim({ owner: 'w', lanes: 10, leaseMs: 1000, pausedUntil })).toEqual([]);
      expect(await outbox.get(op.id)).toMatchObject({ status: 'pending', attempt: 0 });
      expect(await outbox.delivery.nextWakeAt()).toBe(clock.now() + 60_000);
    });
  });
}
