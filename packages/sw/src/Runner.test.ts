import type { SendResult } from '@ferry/core';
import { MemoryStore, NetworkProbe, Outbox, SyncWorker } from '@ferry/core';
import { ScriptedTransport, VirtualClock } from '@ferry/core/testing';
import { describe, expect, it } from 'vitest';
import { Runner } from './Runner.ts';

function setup(script?: (nth: number) => SendResult, online = { value: true }) {
  const clock = new VirtualClock();
  const outbox = new Outbox({
    store: new MemoryStore({ clock }),
    clock,
    origin: 'https://app.example',
    retry: { jitter: false, baseDelayMs: 1000 },
  });
  const transport = new ScriptedTransport((_op, nth) => script?.(nth) ?? { ok: true });
  const worker = new SyncWorker({
    outbox,
    transport,
    clock,
    timers: clock,
    probe: new NetworkProbe(() => online.value),
  });
  const runner = new Runner({
    outbox,
    worker,
    clock,
    timers: clock,
    locks: () => undefined,
    isOnline: () => online.value,
    offlineRecheckMs: 10_000,
  });
  return { clock, outbox, transport, runner, online };
}

const op = { kind: 'k', target: '/a', payload: null };

/** Lets promise chains (store transactions, the runner's schedule step) settle. */
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('Runner', () => {
  it('drains everything ready, then sets its own timer for the next due op', async () => {
    const { clock, outbox, transport, runner } = setup((nth) =>
      nth === 1 ? { ok: false, retryable: true, status: 503, retryAfterMs: 5000 } : { ok: true },
    );
    const { id } = await outbox.enqueue(op);
    await runner.drain();
    expect(transport.timesSent(id)).toBe(1);
    expect((await outbox.get(id))?.status).toBe('pending');
    clock.advance(4999);
    await settle();
    expect(transport.timesSent(id)).toBe(1);
    clock.advance(1);
    await expect.poll(async () => (await outbox.get(id))?.status).toBe('done');
    expect(transport.timesSent(id)).toBe(2);
    await runner.close();
  });

  it('calls made during a drain join it and make it look once more', async () => {
    const { outbox, transport, runner } = setup();
    await outbox.enqueue(op);
    const first = runner.drain();
    await outbox.enqueue(op);
    const second = runner.drain();
    expect(second).toBe(first);
    await first;
    expect(transport.sent).toHaveLength(2);
    await runner.close();
  });

  it('sends nothing offline and only re-checks now and then', async () => {
    const { clock, outbox, transport, runner, online } = setup(undefined, { value: false });
    await outbox.enqueue(op);
    await runner.drain();
    await settle();
    expect(transport.sent).toHaveLength(0);
    online.value = true;
    clock.advance(9_999);
    await settle();
    expect(transport.sent).toHaveLength(0);
    clock.advance(1);
    await expect.poll(() => transport.sent.length).toBe(1);
    await runner.close();
  });

  it('after close, drains nothing and its timer is gone', async () => {
    const { clock, outbox, transport, runner } = setup();
    await runner.close();
    await outbox.enqueue(op);
    await runner.drain();
    clock.advance(60_000);
    await settle();
    expect(transport.sent).toHaveLength(0);
  });
});
