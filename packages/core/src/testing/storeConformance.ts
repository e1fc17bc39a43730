/**
 * One suite for every OutboxStore implementation: MemoryStore runs it in
 * Node, IdbStore runs it under fake-indexeddb and in real Chromium. It drives
 * the stores through the Outbox, so it checks the guarantees a user relies
 * on, plus the few store rules the Outbox cannot check by itself.
 */
import { describe, expect, it } from 'vitest';
import type { Operation, OperationInput } from '../Operation.ts';
import { Outbox } from '../outbox/Outbox.ts';
import type { OutboxStore } from '../OutboxStore.ts';
import { encodeOp } from '../lib/records.ts';
import { VirtualClock } from './VirtualClock.ts';
import { batchConformance } from './batchConformance.ts';
import { editConformance } from './editConformance.ts';
import { retryConformance } from './retryConformance.ts';
import { claim, codeOf, complete, fail, msg } from './conformanceKit.ts';

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

    it('generated ids never repeat across restarts (reference bug 3)', async () => {
      const { harness, store, outbox, clock } = await setup();
      const firstRun = await Promise.all(Array.from({ length: 50 }, () => outbox.enqueue(msg('x'))));
      await store.close();
      const again = new Outbox({ store: await harness.open(), clock });
      const secondRun = await Promise.all(Array.from({ length: 50 }, () => again.enqueue(msg('y'))));
      const ids = new Set([...firstRun, ...secondRun].map((o) => o.id));
      expect(ids.size).toBe(100);
      expect((await again.stats()).pending).toBe(100);
    });

    it('claims lane heads only, oldest first, at most one in flight per lane (bug 5)', async () => {
      const { outbox } = await setup();
      const a1 = await outbox.enqueue(msg('a1', 'a'));
      const b1 = await outbox.enqueue(msg('b1', 'b'));
      await outbox.enqueue(msg('a2', 'a'));
      const claimed = await claim(outbox, 'w', 10, 1000);
      expect(claimed.map((o) => o.id)).toEqual([a1.id, b1.id]);
      expect(claimed.every((o) => o.status === 'inflight' && o.leaseOwner === 'w')).toBe(true);
      expect(await claim(outbox, 'w', 10, 1000)).toEqual([]);
    });

    it('done promotes the next op of the lane; complete needs the claim (bug 4)', async () => {
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

    it('a retryable failure persists the attempt and waits for its backoff (bug 1)', async () => {
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

    it('exhausted attempts make the op failed, and failed ops are never claimed again (bugs 2 and 4)', async () => {
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

    it('replay visits each record once, in LSN order, and resumes where it stopped (bug 8)', async () => {
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

    it('a corrupt record is quarantined and reported; everything else keeps working (bug 6)', async ({ skip }) => {
      const harness = makeHarness();
      if (!harness.corrupt) return skip('this harness cannot write raw records');
      const clock = new VirtualClock();
      const store = await harness.open();
      const outbox = new Outbox({ store, clock });
      const good = await outbox.enqueue(msg('good'));
      // Unreadable, yet indexed as a due lane head: the claim query meets it first.
      await harness.corrupt('broken', {
        id: 'broken',
        v: 99,
        laneKey: ['z', 0],
        dueKey: [0, 0],
        statusKey: ['pending', 0],
        seq: 0,
      });
      expect(await outbox.get('broken')).toBeUndefined();
      expect((await outbox.list()).map((o) => o.id)).toEqual([good.id]);
      expect((await claim(outbox, 'w', 10, 1000)).map((o) => o.id)).toEqual([good.id]);
      const q = await outbox.quarantined();
      expect(q).toHaveLength(1);
      expect(q[0]).toMatchObject({ from: 'outbox', key: 'broken' });
      expect(await outbox.stats()).toEqual({ pending: 0, inflight: 1, done: 0, failed: 0 });
    });

    it('a quarantined lane head hands its lane to the op behind it, in the same transaction', async ({ skip }) => {
      const harness = makeHarness();
      if (!harness.corrupt) return skip('this harness cannot write raw records');
      const clock = new VirtualClock();
      const store = await harness.open();
      const outbox = new Outbox({ store, clock });
      const head = await outbox.enqueue(msg('head', 'z'));
      const behind = await outbox.enqueue(msg('behind', 'z'));
      // The head turns unreadable but is still indexed as the lane's due head.
      await harness.corrupt(head.id, {
        id: head.id,
        v: 99,
        lane: 'z',
        laneKey: ['z', head.seq],
        dueKey: [head.nextAttemptAt, head.seq],
        statusKey: ['pending', head.seq],
        seq: head.seq,
      });
      expect(await claim(outbox, 'w', 10, 1000)).toEqual([]);
      expect(await outbox.delivery.nextWakeAt()).toBe(behind.nextAttemptAt);
      expect((await claim(outbox, 'w', 10, 1000)).map((o) => o.id)).toEqual([behind.id]);
      const later = await outbox.enqueue(msg('later', 'z'));
      expect((await outbox.list({ lane: 'z' })).map((o) => o.id)).toEqual([behind.id, later.id]);
    });

    it('a claim that defers one lane claims each other lane once', async () => {
      const { outbox, clock } = await setup();
      const paused = await outbox.enqueue(msg('paused', 'p'));
      const free = await outbox.enqueue(msg('free', 'f'));
      const heldUntil = (op: { id: string }): number | undefined =>
        op.id === paused.id ? clock.now() + 5000 : undefined;
      const claimed = await outbox.delivery.claim({ owner: 'w', lanes: 10, leaseMs: 1000, heldUntil });
      expect(claimed.map((o) => o.id)).toEqual([free.id]);
      expect((await outbox.wal.records()).filter((r) => r.type === 'claim')).toHaveLength(1);
    });

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

    batchConformance(setup);
    editConformance(setup);
    retryConformance(setup);
  });
}
