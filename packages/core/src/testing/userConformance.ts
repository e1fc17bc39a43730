/**
 * The users half of the store conformance suite: lanes ordered per user, sends held for want of credentials,
 * a sign-out that discards one user's ops, and refused user ids. Run by {@link storeConformance} over every store.
 */
import { describe, expect, it } from 'vitest';
import type { OperationInput } from '../Operation.ts';
import type { ConformanceSetup } from './conformanceKit.ts';
import { claim, codeOf, fail, msg } from './conformanceKit.ts';

export function userConformance(setup: ConformanceSetup): void {
  describe('users', () => {
    it("users: a lane is ordered per user, so one user's held ops never stall another's", async () => {
      const { outbox, clock } = await setup();
      const a1 = await outbox.enqueue({ ...msg('a1', 'chat'), user: 'alice' });
      const a2 = await outbox.enqueue({ ...msg('a2', 'chat'), user: 'alice' });
      const b1 = await outbox.enqueue({ ...msg('b1', 'chat'), user: 'bob' });
      const anon = await outbox.enqueue(msg('anon', 'chat'));
      expect(a1.user).toBe('alice');
      expect(anon.user).toBeUndefined();
      // Alice has no credentials: her head is held, Bob's and nobody's lanes go on.
      const holds = (op: { user?: string }): string | undefined =>
        op.user === 'alice' ? 'no credentials for alice' : undefined;
      const claimed = await outbox.delivery.claim({ owner: 'w', lanes: 10, leaseMs: 1000, holds });
      expect(claimed.map((o) => o.id).sort()).toEqual([b1.id, anon.id].sort());
      const held = await outbox.get(a1.id);
      expect(held).toMatchObject({ status: 'pending', held: 'no credentials for alice', attempt: 0 });
      // A held head is not due by time: nothing to wake for but the two leases.
      expect(await outbox.delivery.nextWakeAt()).toBe(clock.now() + 1000);
      expect(await outbox.delivery.claim({ owner: 'w', lanes: 10, leaseMs: 1000, holds })).toEqual([]);
      // Lists and counts by user.
      expect((await outbox.list({ user: 'alice' })).map((o) => o.id)).toEqual([a1.id, a2.id]);
      expect((await outbox.list({ lane: 'chat', status: 'pending' })).map((o) => o.id)).toEqual([a1.id, a2.id]);
      expect((await outbox.list({ lane: 'chat', status: 'inflight' })).map((o) => o.id)).toEqual([b1.id, anon.id]);
      expect((await outbox.list({ lane: 'chat', status: 'pending', user: 'alice' })).map((o) => o.id)).toEqual([
        a1.id,
        a2.id,
      ]);
      expect(await outbox.stats({ user: 'alice' })).toEqual({ pending: 2, inflight: 0, done: 0, failed: 0 });
      // Releasing someone else changes nothing; releasing Alice makes her head due at its own time.
      expect(await outbox.delivery.release((op) => op.user === 'bob')).toEqual([]);
      const [released] = await outbox.delivery.release((op) => op.user === 'alice');
      expect(released).toMatchObject({ id: a1.id });
      expect(released?.held).toBeUndefined();
      expect((await claim(outbox, 'w', 10, 1000)).map((o) => o.id)).toEqual([a1.id]);
      expect((await outbox.wal.records()).filter((r) => r.opId === a1.id).map((r) => r.type)).toEqual([
        'put',
        'hold',
        'release',
        'claim',
      ]);
    });

    it('users: a send held for want of credentials stays the lane head; a sign-out that discards the ops of one user leaves the others', async () => {
      const { outbox, clock } = await setup();
      const a1 = await outbox.enqueue({ ...msg('a1'), user: 'alice' });
      const a2 = await outbox.enqueue({ ...msg('a2'), user: 'alice' });
      const b1 = await outbox.enqueue({ ...msg('b1'), user: 'bob' });
      const [claimedA] = await claim(outbox, 'w', 1, 1000);
      expect(claimedA?.id).toBe(a1.id);
      const held = await fail(outbox, claimedA!, {
        ok: false,
        retryable: true,
        free: true,
        status: 401,
        hold: 'credentials refused',
        error: 'HTTP 401',
      });
      expect(held).toMatchObject({ status: 'pending', held: 'credentials refused', attempt: 0 });
      expect((await claim(outbox, 'w', 10, 1000)).map((o) => o.id)).toEqual([b1.id]);
      clock.advance(5000);
      expect(await outbox.discardUser('alice')).toBe(2);
      expect(await outbox.get(a1.id)).toBeUndefined();
      expect(await outbox.get(a2.id)).toBeUndefined();
      expect(await outbox.get(b1.id)).toMatchObject({ user: 'bob' });
      // Bob's op was in flight, and its lease has ended: it goes back, and nothing of Alice's is left.
      expect((await claim(outbox, 'w', 10, 1000)).map((o) => o.id)).toEqual([b1.id]);
    });

    it('users: a bad user or a lane with a NUL is refused with a typed error, nothing stored', async () => {
      const { outbox } = await setup();
      for (const user of ['', ' ', 42, null, 'a\u0000b', 'x'.repeat(257)]) {
        expect(await codeOf(outbox.enqueue({ ...msg('x'), user } as unknown as OperationInput))).toBe(
          'invalid-operation',
        );
      }
      expect(await codeOf(outbox.enqueue(msg('x', 'a\u0000b')))).toBe('invalid-operation');
      expect(await outbox.stats()).toEqual({ pending: 0, inflight: 0, done: 0, failed: 0 });
    });
  });
}
