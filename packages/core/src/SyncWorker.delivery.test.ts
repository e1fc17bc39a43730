/**
 * Delivery under the conditions users meet, with the shipped defaults (no
 * test flags): outages while "online", a slow server, 409 in progress,
 * Retry-After, dead runners, late answers. Time is virtual, so an hour runs
 * in milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { FerryError } from './FerryError.ts';
import { MemoryStore } from './MemoryStore.ts';
import type { Operation } from './Operation.ts';
import { Outbox } from './outbox/Outbox.ts';
import { SyncWorker } from './SyncWorker.ts';
import { FakeServer, NO_ANSWER, flush, msg, order, runFor, setup } from './delivery.testSupport.ts';
import { VirtualClock } from './testing/VirtualClock.ts';
import { claim, complete, fail } from './testing/conformanceKit.ts';

describe('delivery with the shipped defaults', { timeout: 60_000 }, () => {
  it('an hour of a server that does not answer while the browser says online: nothing fails, few requests, all delivered in order after', async () => {
    let down = true;
    const { clock, outbox, server, worker } = setup(() => (down ? NO_ANSWER : { ok: true, status: 200 }));
    const queued: Operation[] = [];
    for (let i = 0; i < 20; i++) queued.push(await outbox.enqueue(msg(`m${i}`, `lane${i % 4}`)));
    await runFor(worker, clock, 60 * 60 * 1000, () => false, 5000);
    expect((await outbox.stats()).failed).toBe(0);
    expect((await outbox.list()).every((o) => o.attempt === 0)).toBe(true);
    // Full jitter up to the 30 s cap: about 2 × 3600 / 30 requests per lane head in an hour, not thousands.
    const requests = [...server.sends.values()].reduce((a, b) => a + b, 0);
    expect(requests).toBeLessThan(4 * 400);
    down = false;
    await runFor(worker, clock, 60_000, async () => (await outbox.stats()).done === 20);
    expect((await outbox.stats()).done).toBe(20);
    for (let lane = 0; lane < 4; lane++) {
      const want = order(queued.filter((o) => o.lane === `lane${lane}`));
      expect(server.applied.filter((id) => want.includes(id))).toEqual(want);
    }
  });

  it('409 while the first request runs: no attempt spent, the lane waits, then delivered in order', async () => {
    const { clock, outbox, server, worker } = setup((op, nth) =>
      op.payload && (op.payload as { text: string }).text === 'a' && nth <= 12
        ? { ok: false, retryable: true, free: true, status: 409, retryAfterMs: 1000, error: 'HTTP 409: still running' }
        : { ok: true, status: 200 },
    );
    const a = await outbox.enqueue(msg('a'));
    const b = await outbox.enqueue(msg('b'));
    await runFor(worker, clock, 10 * 60_000, async () => (await outbox.stats()).done === 2);
    expect(server.applied).toEqual([a.id, b.id]);
    expect(await outbox.get(a.id)).toMatchObject({ status: 'done', attempt: 1 });
    // Each resend waited for its Retry-After.
    expect(server.sends.get(a.id)).toBe(13);
  });

  it('a server answering in 14 s, 32 busy lanes: never two sends of one op at once, no dead letter, each op sent once', async () => {
    const { clock, outbox, server, worker } = setup();
    server.latencyMs = 14_000;
    for (let i = 0; i < 64; i++) await outbox.enqueue(msg(`m${i}`, `lane${i % 32}`));
    await runFor(worker, clock, 30 * 60_000, async () => (await outbox.stats()).done === 64, 1000);
    expect(await outbox.stats()).toMatchObject({ done: 64, failed: 0 });
    expect(server.maxOnWireOfOneOp).toBe(1);
    expect(server.maxOnWire).toBeLessThanOrEqual(6);
    expect([...server.sends.values()].every((n) => n === 1)).toBe(true);
  });

  it('the send signal aborts when the lease ends, and a late answer is booked against nothing', async () => {
    const clock = new VirtualClock();
    const outbox = new Outbox({ store: new MemoryStore({ clock }), clock });
    const server = new FakeServer(clock);
    server.latencyMs = 10 * 60_000;
    const worker = new SyncWorker({ outbox, transport: server, clock, timers: clock, owner: 'w1', leaseMs: 60_000 });
    const op = await outbox.enqueue(msg('x'));
    const draining = worker.drain();
    await flush();
    expect(server.signals).toHaveLength(1);
    clock.advance(59_999);
    expect(server.signals[0]?.aborted).toBe(false);
    clock.advance(1);
    expect(server.signals[0]?.aborted).toBe(true);
    clock.advance(10 * 60_000);
    await draining;
    // The send took longer than its lease: it counts as unanswered, like a dead runner's.
    expect(await outbox.get(op.id)).toMatchObject({
      attempt: 1,
      lastError: { message: expect.stringMatching(/lease ended/) },
    });
  });

  it("a dead runner's claims are only what it had on the wire; nothing unsent is charged an attempt", async () => {
    const { clock, store, outbox, server } = setup();
    server.latencyMs = 60 * 60_000;
    for (let i = 0; i < 10; i++) await outbox.enqueue(msg(`m${i}`, `lane${i}`));
    for (let kill = 0; kill < 3; kill++) {
      const runner = new SyncWorker({
        outbox: new Outbox({ store, clock, retry: { maxAttempts: 3 } }),
        transport: server,
        clock,
        timers: clock,
        owner: `r${kill}`,
        concurrency: 3,
      });
      void runner.drain();
      await flush();
      // A second on the wire: the sends are marked as started.
      clock.advance(1000);
      await flush();
      // The runner dies with its sends on the wire; the next one takes back its leases.
      expect((await outbox.stats()).inflight).toBe(3);
      const next = new Outbox({ store, clock, retry: { maxAttempts: 3 } });
      expect(await next.delivery.requeueOrphans()).toHaveLength(3);
    }
    const ops = await outbox.list();
    // Each death charged one attempt to each op it had on the wire, and nothing to the others.
    expect(ops.map((o) => o.attempt)).toEqual(ops.map((o) => server.sends.get(o.id) ?? 0));
    expect(ops.filter((o) => server.sends.has(o.id)).length).toBeGreaterThanOrEqual(3);
    expect(ops.filter((o) => !server.sends.has(o.id)).every((o) => o.status === 'pending' && o.attempt === 0)).toBe(
      true,
    );
  });

  it('orphan recovery has no cap: 800 ops in flight under a dead runner all come back', async () => {
    const { outbox } = setup();
    for (let i = 0; i < 800; i++) await outbox.enqueue(msg(`m${i}`, `lane${i}`));
    expect(await claim(outbox, 'dead', 800, 60_000)).toHaveLength(800);
    expect(await outbox.delivery.requeueOrphans()).toHaveLength(800);
    expect((await outbox.stats()).inflight).toBe(0);
  });

  it('a late answer for a superseded claim changes nothing and is refused with lease-superseded', async () => {
    const { clock, outbox } = setup();
    const op = await outbox.enqueue(msg('x'));
    const [first] = await claim(outbox, 'w1', 1, 100);
    clock.advance(100);
    const [second] = await claim(outbox, 'w2', 1, 60_000);
    expect(second?.id).toBe(op.id);
    expect(second?.leaseToken).not.toBe(first?.leaseToken);
    const late = await complete(outbox, first!).catch((e: unknown) => e);
    expect((late as FerryError).code).toBe('lease-superseded');
    expect(await outbox.get(op.id)).toMatchObject({
      status: 'inflight',
      leaseOwner: 'w2',
      leaseToken: second?.leaseToken,
    });
    // Same runner name after a restart: the token still tells the claims apart.
    const [third] = (clock.advance(60_000), await claim(outbox, 'w2', 1, 60_000));
    expect(
      (await fail(outbox, second!, { ok: false, retryable: true }).catch((e: unknown) => e)) as FerryError,
    ).toMatchObject({ code: 'lease-superseded' });
    expect(await complete(outbox, third!)).toMatchObject({ status: 'done' });
  });

  it('a runner never requeues a lease it still holds, even when the clock says it ended', async () => {
    const { clock, outbox } = setup();
    const a = await outbox.enqueue(msg('a', 'a'));
    const [claimed] = await claim(outbox, 'w1', 1, 100);
    clock.advance(1000);
    expect(await outbox.delivery.requeueExpired(new Set([claimed!.leaseToken!]))).toEqual([]);
    expect(
      await outbox.delivery.claim({ owner: 'w1', lanes: 10, leaseMs: 100, live: new Set([claimed!.leaseToken!]) }),
    ).toEqual([]);
    expect(await outbox.get(a.id)).toMatchObject({ status: 'inflight', leaseToken: claimed?.leaseToken });
    expect(await outbox.delivery.requeueOrphans(new Set([claimed!.leaseToken!]))).toEqual([]);
  });

  it('a Retry-After from the origin defers every lane to it, spending nothing, and sends none before', async () => {
    const { clock, outbox, server, worker } = setup();
    for (let i = 0; i < 5; i++) await outbox.enqueue(msg(`m${i}`, `lane${i}`));
    const pausedAt = clock.now();
    server.pauseEnd = pausedAt + 30_000;
    await worker.drain();
    expect(server.sends.size).toBe(0);
    expect(
      (await outbox.list()).every(
        (o) => o.status === 'pending' && o.nextAttemptAt === pausedAt + 30_000 && o.attempt === 0,
      ),
    ).toBe(true);
    expect((await outbox.wal.records()).filter((r) => r.type === 'defer')).toHaveLength(5);
    await runFor(worker, clock, 60_000, async () => (await outbox.stats()).done === 5);
    expect((await outbox.stats()).done).toBe(5);
    expect([...server.signals].length).toBe(5);
  });

  it('maxAgeMs fails an op that waited too long, with the reason, no later than when it passes it', async () => {
    const clock = new VirtualClock();
    const outbox = new Outbox({ store: new MemoryStore({ clock }), clock, retry: { maxAgeMs: 60_000 } });
    const server = new FakeServer(clock, () => NO_ANSWER);
    const worker = new SyncWorker({ outbox, transport: server, clock, timers: clock });
    const old = await outbox.enqueue(msg('old'));
    await runFor(worker, clock, 62_000, () => false, 1000);
    expect(await outbox.get(old.id)).toMatchObject({
      status: 'failed',
      attempt: 0,
      lastError: { message: expect.stringMatching(/maxAgeMs/) },
    });
  });

  it('drain does not return while expired leases are still due, even when every requeued op runs out of attempts', async () => {
    const { clock, store, server } = setup();
    const outbox = new Outbox({ store, clock, retry: { maxAttempts: 1 } });
    for (let i = 0; i < 40; i++) await outbox.enqueue(msg(`m${i}`, `lane${i}`));
    const behind = await outbox.enqueue(msg('behind', 'lane0'));
    // A runner that started these sends, then died.
    await outbox.delivery.exchange({ onWire: await claim(outbox, 'dead', 40, 100) });
    clock.advance(100);
    const worker = new SyncWorker({ outbox, transport: server, clock, timers: clock, batchLimit: 4 });
    await worker.drain();
    expect(await outbox.stats()).toMatchObject({ inflight: 0, failed: 40, done: 1 });
    expect(server.applied).toEqual([behind.id]);
  });

  it('an offline tick still returns expired leases first', async () => {
    const clock = new VirtualClock();
    const outbox = new Outbox({ store: new MemoryStore({ clock }), clock });
    const op = await outbox.enqueue(msg('x'));
    await claim(outbox, 'dead', 1, 100);
    clock.advance(100);
    const worker = new SyncWorker({
      outbox,
      transport: new FakeServer(clock),
      clock,
      timers: clock,
      probe: { isOnline: () => false, onOnline: () => () => {} } as never,
    });
    expect(await worker.tick()).toBe(0);
    expect(await outbox.get(op.id)).toMatchObject({ status: 'pending' });
  });

  it('concurrent slots share transactions: claiming at send time costs fewer transactions than one per op', async () => {
    const { clock, store, outbox, server, worker } = setup();
    server.latencyMs = 10;
    for (let i = 0; i < 60; i++) await outbox.enqueue(msg(`m${i}`, `lane${i % 12}`));
    let writes = 0;
    const real = store.transaction.bind(store);
    store.transaction = ((mode, fn) => (
      (writes += mode === 'readwrite' ? 1 : 0),
      real(mode, fn)
    )) as typeof store.transaction;
    await runFor(worker, clock, 60_000, async () => (await outbox.stats()).done === 60, 5);
    expect((await outbox.stats()).done).toBe(60);
    // 60 claims and 60 outcomes would be 120 transactions alone; shared, each records several.
    expect(writes).toBeLessThan(100);
  });
});
