import { describe, expect, it } from 'vitest';
import { MemoryStore } from './MemoryStore.ts';
import { NetworkProbe } from './NetworkProbe.ts';
import type { OperationInput } from './Operation.ts';
import { Outbox } from './outbox/Outbox.ts';
import type { RetryPolicyOptions } from './RetryPolicy.ts';
import { SyncWorker } from './SyncWorker.ts';
import type { SendResult, Transport } from './Transport.ts';
import { ScriptedTransport } from './testing/ScriptedTransport.ts';
import { VirtualClock } from './testing/VirtualClock.ts';
import { claim } from './testing/conformanceKit.ts';

const msg = (text: string, lane?: string): OperationInput => ({
  kind: 'message.send',
  target: '/api/messages',
  payload: { text },
  ...(lane === undefined ? {} : { lane }),
});

/** A seeded PRNG (Park–Miller), so a failing run can be replayed from its seed. */
function seeded(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => ((s = (s * 16807) % 2147483647) - 1) / 2147483646;
}

function setup(
  opts: {
    retry?: Partial<RetryPolicyOptions>;
    online?: () => boolean;
    script?: ConstructorParameters<typeof ScriptedTransport>[0];
  } = {},
) {
  const clock = new VirtualClock();
  const outbox = new Outbox({ store: new MemoryStore({ clock }), clock, retry: opts.retry ?? {} });
  const transport = new ScriptedTransport(opts.script);
  const probe = new NetworkProbe(opts.online ?? (() => true));
  const worker = new SyncWorker({ outbox, transport, probe, clock, timers: clock, owner: 'w1' });
  return { clock, outbox, transport, probe, worker };
}

async function until(cond: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('SyncWorker', () => {
  it('saved → offline attempt → backoff → network recovers → done', async () => {
    let online = false;
    const { clock, outbox, worker } = setup({
      retry: { maxAttempts: 3, baseDelayMs: 500, factor: 2 },
      // The probe says online; the transport is what fails.
      script: () => (online ? { ok: true } : { ok: false, retryable: true, error: 'network offline' }),
    });
    const t0 = clock.now();
    const op = await outbox.enqueue(msg('hello offline-first'));
    expect(await outbox.get(op.id)).toMatchObject({ status: 'pending' });

    clock.set(t0 + 1);
    expect(await worker.tick()).toBe(1);
    const afterOffline = await outbox.get(op.id);
    expect(afterOffline).toMatchObject({
      status: 'pending',
      attempt: 1,
      lastError: { message: 'network offline', retryable: true },
    });
    expect(afterOffline!.nextAttemptAt).toBeGreaterThanOrEqual(t0 + 1);
    expect(afterOffline!.nextAttemptAt).toBeLessThanOrEqual(t0 + 1 + 500);

    online = true;
    clock.set(afterOffline!.nextAttemptAt + 1);
    expect(await worker.tick()).toBe(1);
    expect(await outbox.get(op.id)).toMatchObject({ status: 'done', attempt: 2 });
  });

  it('sends nothing and spends nothing while the probe says offline, and sees the network return at once', async () => {
    let online = false;
    const { outbox, transport, worker } = setup({ online: () => online });
    const op = await outbox.enqueue(msg('x'));
    expect(await worker.tick()).toBe(0);
    expect(transport.sent).toHaveLength(0);
    online = true;
    expect(await worker.tick()).toBe(1);
    expect(await outbox.get(op.id)).toMatchObject({ status: 'done', attempt: 1 });
  });

  it('does not spend an attempt when the network dropped during the send', async () => {
    let online = true;
    const { outbox, worker } = setup({
      script: () => {
        online = false;
        return { ok: false, retryable: true, error: 'Failed to fetch' };
      },
      online: () => online,
    });
    const op = await outbox.enqueue(msg('x'));
    await worker.tick();
    expect(await outbox.get(op.id)).toMatchObject({ status: 'pending', attempt: 0 });
  });

  it('records a throwing transport as a retryable failure', async () => {
    const { outbox, worker } = setup({
      script: () => {
        throw new Error('kaput');
      },
    });
    const op = await outbox.enqueue(msg('x'));
    await worker.tick();
    expect(await outbox.get(op.id)).toMatchObject({
      attempt: 1,
      lastError: { message: 'transport threw: kaput', retryable: true },
    });
  });

  it('honours Retry-After: not sent again before it is due', async () => {
    const { clock, outbox, transport, worker } = setup({
      retry: { jitter: false, baseDelayMs: 10 },
      script: (_op, nth) =>
        nth === 1 ? { ok: false, retryable: true, status: 429, retryAfterMs: 5000 } : { ok: true },
    });
    await outbox.enqueue(msg('x'));
    await worker.tick();
    clock.advance(4999);
    expect(await worker.tick()).toBe(0);
    clock.advance(1);
    expect(await worker.tick()).toBe(1);
    expect(transport.sent).toHaveLength(2);
  });

  it('resends an op whose runner died once its lease ends, with the same idempotency key; a claim never sent spends nothing', async () => {
    const { clock, outbox, transport } = setup();
    const op = await outbox.enqueue(msg('x'));
    // The dead runner claimed it and died before its send started.
    await claim(outbox, 'dead-runner', 10, 30_000);
    const other = new SyncWorker({ outbox, transport, clock, timers: clock, owner: 'w2' });
    expect(await other.tick()).toBe(0);
    clock.advance(30_000);
    expect(await other.tick()).toBe(1);
    expect(transport.sent[0]?.idempotencyKey).toBe(op.idempotencyKey);
    expect(await outbox.get(op.id)).toMatchObject({ status: 'done', attempt: 1 });
  });

  it('keeps at most `concurrency` sends in flight, one per lane', async () => {
    const clock = new VirtualClock();
    const outbox = new Outbox({ store: new MemoryStore(), clock });
    let inFlight = 0;
    let peak = 0;
    const lanesInFlight = new Set<string>();
    const transport = {
      async send(op: { lane: string }): Promise<SendResult> {
        expect(lanesInFlight.has(op.lane)).toBe(false);
        lanesInFlight.add(op.lane);
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        lanesInFlight.delete(op.lane);
        return { ok: true };
      },
    };
    for (let i = 0; i < 24; i++) await outbox.enqueue(msg(`m${i}`, `lane${i % 8}`));
    const worker = new SyncWorker({ outbox, transport, clock, timers: clock, concurrency: 3, batchLimit: 8 });
    let total = 0;
    for (let n; (n = await worker.tick()) > 0;) total += n;
    expect(total).toBe(24);
    expect(peak).toBe(3);
  });

  it.each([1, 5])(
    'keeps enqueue order within each lane under concurrency and seeded random failures; a poison op blocks nothing (batchSize %i)',
    async (batchSize) => {
      const seed = Number(process.env.FERRY_SEED ?? Date.now() % 100_000);
      const random = seeded(seed);
      const clock = new VirtualClock();
      const outbox = new Outbox({
        store: new MemoryStore(),
        clock,
        random,
        retry: { maxAttempts: 50, baseDelayMs: 100, maxDelayMs: 2000 },
      });
      const poison = new Set<string>();
      const delivered = new Map<string, string[]>();
      const transport = new ScriptedTransport(async (op) => {
        await new Promise((r) => setTimeout(r, Math.floor(random() * 3)));
        if (poison.has(op.id)) return { ok: false, retryable: false, status: 400, error: 'invalid message' };
        const r = random();
        if (r < 0.3) return { ok: false, retryable: true, status: 503, error: 'unavailable' };
        if (r < 0.35) return { ok: false, retryable: true, status: 429, retryAfterMs: 700 };
        delivered.set(op.lane, [...(delivered.get(op.lane) ?? []), op.id]);
        return { ok: true };
      });
      const enqueued = new Map<string, string[]>();
      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const lane = `lane${Math.floor(random() * 6)}`;
          const op = await outbox.enqueue(msg(`m${i}`, lane));
          if (i % 37 === 5) poison.add(op.id);
          enqueued.set(lane, [...(enqueued.get(lane) ?? []), op.id]);
        }),
      );
      const worker = new SyncWorker({
        outbox,
        transport,
        clock,
        timers: clock,
        concurrency: 4,
        batchLimit: 6,
        batchSize,
        probe: new NetworkProbe(),
      });
      for (let rounds = 0; rounds < 5000; rounds++) {
        const { pending, inflight } = await outbox.stats();
        if (pending + inflight === 0) break;
        if ((await worker.tick()) === 0) clock.set((await outbox.delivery.nextWakeAt()) ?? clock.now());
      }
      const stats = await outbox.stats();
      expect(stats, `seed ${seed}`).toEqual({ pending: 0, inflight: 0, done: 200 - poison.size, failed: poison.size });
      for (const [lane, ids] of enqueued) {
        expect(delivered.get(lane), `lane ${lane}, seed ${seed}`).toEqual(ids.filter((id) => !poison.has(id)));
      }
      expect((await outbox.list({ status: 'failed' })).map((o) => o.id).sort(), `seed ${seed}`).toEqual(
        [...poison].sort(),
      );
      if (batchSize > 1)
        expect(
          transport.batches.some((b) => b.length === batchSize),
          `seed ${seed}`,
        ).toBe(true);
      else expect(transport.batches).toEqual([]);
    },
  );

  describe('batch mode', () => {
    function batchSetup(transport: Transport, batchSize = 4) {
      const clock = new VirtualClock();
      const outbox = new Outbox({
        store: new MemoryStore({ clock }),
        clock,
        retry: { jitter: false, baseDelayMs: 100 },
      });
      const worker = new SyncWorker({
        outbox,
        transport,
        clock,
        timers: clock,
        owner: 'w1',
        batchSize,
        concurrency: 2,
      });
      return { clock, outbox, worker };
    }

    it("sends a lane's run in one exchange of up to batchSize ops, a lone op through send, in enqueue order", async () => {
      const transport = new ScriptedTransport();
      const { outbox, worker } = batchSetup(transport);
      const chat: string[] = [];
      for (let i = 0; i < 10; i++) chat.push((await outbox.enqueue(msg(`c${i}`, 'chat'))).id);
      const lone = (await outbox.enqueue(msg('lone', 'other'))).id;
      expect(await worker.drain()).toBe(11);
      expect(transport.batches).toEqual([chat.slice(0, 4), chat.slice(4, 8), chat.slice(8)]);
      expect(transport.sent.filter((o) => o.lane === 'chat').map((o) => o.id)).toEqual(chat);
      expect(transport.timesSent(lone)).toBe(1);
      expect(await outbox.stats()).toEqual({ pending: 0, inflight: 0, done: 11, failed: 0 });
    });

    it("an exchange that fails as a whole spends the first op's attempt only", async () => {
      const transport: Transport = {
        send: async () => ({ ok: true }),
        sendBatch: async () => {
          throw new Error('socket hang up');
        },
      };
      const { outbox, worker, clock } = batchSetup(transport);
      const ops = await Promise.all([0, 1, 2].map((i) => outbox.enqueue(msg(`c${i}`, 'chat'))));
      expect(await worker.tick()).toBe(3);
      const after = await outbox.list();
      expect(after.map((o) => [o.status, o.attempt])).toEqual([
        ['pending', 1],
        ['pending', 0],
        ['pending', 0],
      ]);
      expect(after[0]?.lastError?.message).toMatch(/socket hang up/);
      expect(after[0]?.nextAttemptAt).toBe(clock.now() + 100);
      expect(ops.map((o) => o.id)).toEqual(after.map((o) => o.id));
    });

    it('an answer with no result at all counts against the first op, so the batch does not spin', async () => {
      const transport: Transport = { send: async () => ({ ok: true }), sendBatch: async () => [] };
      const { outbox, worker } = batchSetup(transport);
      for (let i = 0; i < 3; i++) await outbox.enqueue(msg(`c${i}`, 'chat'));
      expect(await worker.drain()).toBe(3);
      expect((await outbox.list()).map((o) => o.attempt)).toEqual([1, 0, 0]);
    });

    it('refuses batchSize above 1 with a transport that cannot batch, and nonsense sizes, with invalid-config', () => {
      const { outbox } = setup();
      const transport = { send: async () => ({ ok: true }) as const };
      const invalid = expect.objectContaining({ name: 'FerryError', code: 'invalid-config' });
      expect(() => new SyncWorker({ outbox, transport, batchSize: 2 })).toThrow(invalid);
      expect(() => new SyncWorker({ outbox, transport, concurrency: 0 })).toThrow(invalid);
      expect(() => new SyncWorker({ outbox, transport, leaseMs: 0 })).toThrow(invalid);
    });
  });

  describe('drain', () => {
    it('keeps every send slot busy, one op per lane, lane order kept, until nothing is left', async () => {
      const clock = new VirtualClock();
      const outbox = new Outbox({ store: new MemoryStore(), clock });
      let inFlight = 0;
      let peak = 0;
      const lanesBusy = new Set<string>();
      const sent: string[] = [];
      const enqueued: string[] = [];
      const transport = {
        async send(op: { id: string; lane: string; payload: unknown }): Promise<SendResult> {
          expect(lanesBusy.has(op.lane)).toBe(false);
          lanesBusy.add(op.lane);
          peak = Math.max(peak, ++inFlight);
          sent.push(op.id);
          // Uneven durations: a batch-at-a-time tick would leave slots idle behind the slow ones.
          await new Promise((r) => setTimeout(r, (op.payload as { text: string }).text.endsWith('0') ? 30 : 3));
          inFlight--;
          lanesBusy.delete(op.lane);
          return { ok: true };
        },
      };
      for (let i = 0; i < 48; i++) enqueued.push((await outbox.enqueue(msg(`m${i}`, `lane${i % 12}`))).id);
      const worker = new SyncWorker({ outbox, transport, clock, timers: clock, concurrency: 4, batchLimit: 8 });
      expect(await worker.drain()).toBe(48);
      expect(peak).toBe(4);
      expect(await outbox.stats()).toEqual({ pending: 0, inflight: 0, done: 48, failed: 0 });
      for (let lane = 0; lane < 12; lane++) {
        const order = enqueued.filter((_, i) => i % 12 === lane);
        expect(sent.filter((id) => order.includes(id))).toEqual(order);
      }
    });

    it('refills a free slot at once: one stuck send does not hold back the other lanes', async () => {
      const clock = new VirtualClock();
      const outbox = new Outbox({ store: new MemoryStore(), clock });
      let release: () => void = () => {};
      const stuck = new Promise<void>((r) => (release = r));
      const transport = new ScriptedTransport(async (op) => {
        if (op.lane === 'slow') await stuck;
        return { ok: true };
      });
      await outbox.enqueue(msg('stuck', 'slow'));
      for (let i = 0; i < 30; i++) await outbox.enqueue(msg(`m${i}`, `fast${i % 10}`));
      const worker = new SyncWorker({ outbox, transport, clock, timers: clock, concurrency: 2, batchLimit: 4 });
      const drained = worker.drain();
      // While the slow send hangs, the other slot goes through all 30 others, batch after batch.
      await until(async () => (await outbox.stats()).done === 30);
      expect(await outbox.stats()).toMatchObject({ inflight: 1, pending: 0 });
      release();
      expect(await drained).toBe(31);
    });

    it('going offline mid-drain gives back the claims it did not send, unspent, instead of leaving them leased', async () => {
      let online = true;
      const { outbox, worker } = setup({
        online: () => online,
        script: () => {
          online = false;
          return { ok: false, retryable: true, error: 'network error' };
        },
      });
      for (let i = 0; i < 8; i++) await outbox.enqueue(msg(`m${i}`, `lane${i}`));
      await worker.drain();
      expect(await outbox.stats()).toEqual({ pending: 8, inflight: 0, done: 0, failed: 0 });
      expect((await outbox.list()).map((o) => o.attempt)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
      // Each lane's op heads it again, due now.
      expect(await claim(outbox, 'w2', 10, 1000)).toHaveLength(8);
    });

    it('stops at once when offline, and returns 0 with nothing ready', async () => {
      let online = false;
      const { outbox, transport, worker } = setup({ online: () => online });
      await outbox.enqueue(msg('x'));
      expect(await worker.drain()).toBe(0);
      expect(transport.sent).toHaveLength(0);
      online = true;
      expect(await worker.drain()).toBe(1);
      expect(await worker.drain()).toBe(0);
    });
  });

  describe('run loop', () => {
    it('drains, sleeps until the next op is due on the injected timers, and wakes on demand', async () => {
      let fail = true;
      const { clock, outbox, transport, worker } = setup({
        retry: { jitter: false, baseDelayMs: 1000 },
        script: () => (fail ? { ok: false, retryable: true, status: 503 } : { ok: true }),
      });
      const op = await outbox.enqueue(msg('x'));
      worker.start();
      await until(async () => (await outbox.get(op.id))?.attempt === 1);
      await until(() => clock.pendingTimers === 1);
      fail = false;
      clock.advance(999);
      expect(transport.sent).toHaveLength(1);
      clock.advance(1);
      await until(async () => (await outbox.get(op.id))?.status === 'done');
      expect(transport.sent).toHaveLength(2);

      await until(() => clock.pendingTimers === 0); // idle: nothing due, no timer
      const second = await outbox.enqueue(msg('y'));
      worker.wake();
      await until(async () => (await outbox.get(second.id))?.status === 'done');
      await worker.stop();
      expect(worker.running).toBe(false);
    });

    it('wakes when the online signal fires', async () => {
      let online = false;
      const listeners = new Set<() => void>();
      const probe = new NetworkProbe({
        isOnline: () => online,
        subscribe: (fn) => (listeners.add(fn), () => listeners.delete(fn)),
      });
      const clock = new VirtualClock();
      const outbox = new Outbox({ store: new MemoryStore(), clock });
      const worker = new SyncWorker({
        outbox,
        transport: new ScriptedTransport(),
        probe,
        clock,
        timers: clock,
        offlineRecheckMs: 1e9,
      });
      const op = await outbox.enqueue(msg('x'));
      worker.start();
      await until(() => clock.pendingTimers === 1);
      online = true;
      for (const fn of listeners) fn();
      await until(async () => (await outbox.get(op.id))?.status === 'done');
      await worker.stop();
      expect(listeners.size).toBe(0);
    });

    it('stop aborts sends in flight without spending their attempt', async () => {
      const clock = new VirtualClock();
      const outbox = new Outbox({ store: new MemoryStore(), clock });
      const transport = {
        send: (_op: unknown, { signal }: { signal: AbortSignal }) =>
          new Promise<SendResult>((resolve) =>
            signal.addEventListener('abort', () => resolve({ ok: false, retryable: true, error: 'aborted' })),
          ),
      };
      const worker = new SyncWorker({ outbox, transport, clock, timers: clock });
      const op = await outbox.enqueue(msg('x'));
      worker.start();
      await until(async () => (await outbox.get(op.id))?.status === 'inflight');
      await worker.stop();
      expect(await outbox.get(op.id)).toMatchObject({ status: 'pending', attempt: 0 });
    });
  });
});
