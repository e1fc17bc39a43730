import { describe, expect, it } from 'vitest';
import { MemoryStore } from './MemoryStore.ts';
import { Outbox } from './outbox/Outbox.ts';
import { SyncWorker } from './SyncWorker.ts';
import type { Transport } from './Transport.ts';
import { ScriptedTransport } from './testing/ScriptedTransport.ts';
import { VirtualClock } from './testing/VirtualClock.ts';
import { msg, setup } from './testSupport.ts';

describe('SyncWorker', () => {
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
});
