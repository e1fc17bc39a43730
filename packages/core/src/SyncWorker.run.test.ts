import { describe, expect, it } from 'vitest';
import { MemoryStore } from './MemoryStore.ts';
import { NetworkProbe } from './NetworkProbe.ts';
import { Outbox } from './outbox/Outbox.ts';
import { SyncWorker } from './SyncWorker.ts';
import type { SendResult } from './Transport.ts';
import { ScriptedTransport } from './testing/ScriptedTransport.ts';
import { VirtualClock } from './testing/VirtualClock.ts';
import { msg, setup, until } from './testSupport.ts';

describe('SyncWorker', () => {
  describe('run loop', () => {
    it('drains, sleeps until the next op is due on the injected timers, and wakes on demand', async () => {
      let fail = true;
      const { clock, outbox, transport, worker } = setup({
        retry: { jitter: false, baseDelayMs: 1000 },
        script: () => (fail ? { ok: false, retryable: true, status: 503 } : { ok: true }),
      });
      const op = await outbox.enqueue(msg('x'));
      void worker.start();
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
      void worker.wake();
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
      void worker.start();
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
      void worker.start();
      await until(async () => (await outbox.get(op.id))?.status === 'inflight');
      await worker.stop();
      expect(await outbox.get(op.id)).toMatchObject({ status: 'pending', attempt: 0 });
    });
  });
});
