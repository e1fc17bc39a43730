/**
 * Delivery under the conditions users meet, with the shipped defaults (no
 * test flags): outages while "online", a slow server, 409 in progress,
 * Retry-After, dead runners, late answers. Time is virtual, so an hour runs
 * in milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { FerryError } from './FerryError.ts';
import { MemoryStore } from './MemoryStore.ts';
import type { Operation, OperationInput } from './Operation.ts';
import { Outbox } from './outbox/Outbox.ts';
import { SyncWorker } from './SyncWorker.ts';
import type { SendContext, SendResult, Transport } from './Transport.ts';
import { VirtualClock } from './testing/VirtualClock.ts';
import { claim, complete, fail } from './testing/conformanceKit.ts';

const msg = (text: string, lane = 'chat'): OperationInput => ({
  kind: 'message.send',
  target: '/api/messages',
  payload: { text },
  lane,
});
const NO_ANSWER: SendResult = {
  ok: false,
  retryable: true,
  unanswered: true,
  free: true,
  error: 'network error: Failed to fetch',
};

/** A server as the worker sees it: answers after `latencyMs` of virtual time, by a script; tracks what is on the wire. */
class FakeServer implements Transport {
  readonly applied: string[] = [];
  readonly sends = new Map<string, number>();
  readonly onWire = new Map<string, number>();
  maxOnWireOfOneOp = 0;
  maxOnWire = 0;
  latencyMs = 0;
  /** The end of the pause the origin asked for, if any. */
  pauseEnd: number | undefined;
  readonly signals: AbortSignal[] = [];
  readonly clock: VirtualClock;
  readonly answer: (op: Operation, nth: number) => SendResult;
  constructor(
    clock: VirtualClock,
    answer: (op: Operation, nth: number) => SendResult = () => ({ ok: true, status: 200 }),
  ) {
    this.clock = clock;
    this.answer = answer;
  }

  async send(op: Operation, ctx: SendContext): Promise<SendResult> {
    const nth = (this.sends.get(op.id) ?? 0) + 1;
    this.sends.set(op.id, nth);
    this.signals.push(ctx.signal);
    const wire = (this.onWire.get(op.id) ?? 0) + 1;
    this.onWire.set(op.id, wire);
    this.maxOnWireOfOneOp = Math.max(this.maxOnWireOfOneOp, wire);
    this.maxOnWire = Math.max(
      this.maxOnWire,
      [...this.onWire.values()].reduce((a, b) => a + b, 0),
    );
    try {
      if (this.latencyMs > 0) {
        // Like fetch: an aborted signal ends the wait with no answer.
        const aborted = await new Promise<boolean>((resolve) => {
          const handle = this.clock.setTimeout(() => resolve(false), this.latencyMs);
          ctx.signal.addEventListener('abort', () => (this.clock.clearTimeout(handle), resolve(true)), { once: true });
        });
        if (aborted) return { ok: false, retryable: true, unanswered: true, error: 'send aborted' };
      }
      const result = this.answer(op, nth);
      if (result.ok && !this.applied.includes(op.id)) this.applied.push(op.id);
      return result;
    } finally {
      this.onWire.set(op.id, (this.onWire.get(op.id) ?? 1) - 1);
    }
  }

  pausedUntil(): number | undefined {
    return this.pauseEnd !== undefined && this.pauseEnd > this.clock.now() ? this.pauseEnd : undefined;
  }
}

function setup(answer?: (op: Operation, nth: number) => SendResult, owner = 'w1') {
  const clock = new VirtualClock();
  const store = new MemoryStore({ clock });
  const outbox = new Outbox({ store, clock });
  const server = new FakeServer(clock, answer);
  const worker = new SyncWorker({ outbox, transport: server, clock, timers: clock, owner });
  return { clock, store, outbox, server, worker };
}

const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Drains while moving virtual time forward in `stepMs` steps until `ms` have passed or `done()` holds. */
async function runFor(
  worker: SyncWorker,
  clock: VirtualClock,
  ms: number,
  done: () => boolean | Promise<boolean> = () => false,
  stepMs = 250,
): Promise<void> {
  const end = clock.now() + ms;
  let draining: Promise<number> | undefined;
  while (clock.now() < end && !(await done())) {
    draining ??= worker.drain().finally(() => (draining = undefined));
    await flush();
    clock.advance(stepMs);
    await flush();
  }
  await draining;
}

const order = (ops: readonly Operation[]): string[] => ops.map((o) => o.id);

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

describe('idempotent enqueue', () => {
  it('a repeat with the same id and content succeeds with the stored op; other content under that id is duplicate-id', async () => {
    const { outbox } = setup();
    const input = { ...msg('x'), id: 'op-1', idempotencyKey: 'key-1' };
    const first = await outbox.enqueue(input);
    const again = await outbox.enqueue({ ...input, payload: { text: 'x' } });
    expect(again).toEqual(first);
    const [same, other] = await Promise.allSettled([
      outbox.enqueue(input),
      outbox.enqueue({ ...input, payload: { text: 'y' } }),
    ]);
    expect(same).toMatchObject({ status: 'fulfilled', value: first });
    expect((other as PromiseRejectedResult).reason).toMatchObject({ code: 'duplicate-id' });
    expect((await outbox.wal.records()).filter((r) => r.type === 'put')).toHaveLength(1);
    // Twice in one group commit: one op, both callers answered with it.
    const both = await Promise.all([
      outbox.enqueue({ ...input, id: 'op-2' }),
      outbox.enqueue({ ...input, id: 'op-2' }),
    ]);
    expect(both[0]).toEqual(both[1]);
    expect((await outbox.list()).map((o) => o.id)).toEqual(['op-1', 'op-2']);
  });
});

describe('compaction', () => {
  it('runs at most hourly across restarts, by the time the store keeps, in short transactions', async () => {
    const { clock, store, outbox } = setup();
    for (let i = 0; i < 5; i++) {
      await outbox.enqueue(msg(`m${i}`, `l${i}`));
    }
    for (const c of await claim(outbox, 'w', 5, 1000)) await complete(outbox, c);
    clock.advance(8 * 24 * 3600_000);
    let writes = 0;
    const real = store.transaction.bind(store);
    store.transaction = ((mode, fn) => (
      (writes += mode === 'readwrite' ? 1 : 0),
      real(mode, fn)
    )) as typeof store.transaction;
    expect(await outbox.compact(7 * 24 * 3600_000, 2)).toEqual({ ops: 5, records: 15 });
    // 5 ops in chunks of 2: 3 transactions; 15 records: 8.
    expect(writes).toBe(11);
    await outbox.enqueue(msg('fresh'));
    clock.advance(1);
    expect(await new Outbox({ store, clock }).compactIfDue(0, 3600_000)).toEqual({ ops: 0, records: 1 });
    // A restarted worker (a new Outbox on the same store) within the hour does not walk again.
    expect(await new Outbox({ store, clock }).compactIfDue(0, 3600_000)).toBeUndefined();
    clock.advance(3600_000);
    expect(await new Outbox({ store, clock }).compactIfDue(0, 3600_000)).toEqual({ ops: 0, records: 0 });
    // One Outbox reads the stored time once per period: a wake after each enqueue costs no transaction.
    const same = new Outbox({ store, clock });
    clock.advance(1);
    expect(await same.compactIfDue(0, 3600_000)).toBeUndefined();
    let all = 0;
    store.transaction = ((mode, fn) => (all++, real(mode, fn))) as typeof store.transaction;
    for (let i = 0; i < 3; i++) expect(await same.compactIfDue(0, 3600_000)).toBeUndefined();
    expect(all).toBe(0);
    clock.advance(3600_000);
    expect(await same.compactIfDue(0, 3600_000)).toEqual({ ops: 0, records: 0 });
    expect(all).toBeGreaterThan(0);
  });
});

describe('transactions per op', () => {
  it('a drain of 16 lanes shares its transactions: outcomes and claims that come together are written together', async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore({ clock });
    const outbox = new Outbox({ store, clock });
    for (let i = 0; i < 320; i++) await outbox.enqueue(msg(`m${i}`, `lane${i % 16}`));
    // Readwrite transactions run one at a time and each takes 3 ms to commit, as on IndexedDB.
    let writes = 0;
    let queue: Promise<unknown> = Promise.resolve();
    const real = store.transaction.bind(store);
    store.transaction = ((mode, fn) => {
      if (mode !== 'readwrite') return real(mode, fn);
      writes++;
      const run = queue.then(async () => {
        const result = await real(mode, fn);
        await new Promise((r) => setTimeout(r, 3));
        return result;
      });
      queue = run.catch(() => {});
      return run;
    }) as typeof real;
    // Answers in 5-15 ms of real time, so that sends settle apart, as on a network.
    let n = 0;
    const transport: Transport = {
      send: () => new Promise((r) => setTimeout(() => r({ ok: true }), 5 + (n++ % 3) * 5)),
    };
    const worker = new SyncWorker({ outbox, transport, clock, timers: clock, concurrency: 6 });
    expect(await worker.drain()).toBe(320);
    expect(await outbox.stats()).toMatchObject({ done: 320, inflight: 0, pending: 0 });
    // Outcomes and claims that settle together share a transaction: about 0.5 per op here, where a transaction
    // of its own for each outcome and each claim would take 2.
    expect(writes / 320).toBeLessThan(0.6);
  });
});
