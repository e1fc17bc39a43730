import { describe, expect, it } from 'vitest';
import { MemoryStore } from './MemoryStore.ts';
import { Outbox } from './outbox/Outbox.ts';
import { SyncWorker } from './SyncWorker.ts';
import type { SendResult } from './Transport.ts';
import { ScriptedTransport } from './testing/ScriptedTransport.ts';
import { VirtualClock } from './testing/VirtualClock.ts';
import { claim } from './testing/conformanceKit.ts';
import { msg, setup, until } from './testSupport.ts';

describe('SyncWorker', () => {
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
});
