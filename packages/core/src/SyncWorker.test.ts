import { describe, expect, it } from 'vitest';
import { MemoryStore } from './MemoryStore.ts';
import { NetworkProbe } from './NetworkProbe.ts';
import { Outbox } from './outbox/Outbox.ts';
import { SyncWorker } from './SyncWorker.ts';
import type { SendResult } from './Transport.ts';
import { ScriptedTransport } from './testing/ScriptedTransport.ts';
import { VirtualClock } from './testing/VirtualClock.ts';
import { claim } from './testing/conformanceKit.ts';
import { msg, seeded, setup } from './testSupport.ts';

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
});
