/**
 * The run loop as a service worker runs it: `wake()` resolves once its drain has ended, and with a runner lock
 * each drain holds the lock and takes back the leases of runners that are gone. The first four cases moved
 * from the service worker package's runner tests, which ran the same loop through a wrapper.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from './MemoryStore.ts';
import { NetworkProbe } from './NetworkProbe.ts';
import { Outbox } from './outbox/Outbox.ts';
import type { LockManagerLike } from './sync/runnerLock.ts';
import { memoryLocks } from './sync/runnerLock.ts';
import { SyncWorker } from './SyncWorker.ts';
import type { SendResult } from './Transport.ts';
import { ScriptedTransport } from './testing/ScriptedTransport.ts';
import { VirtualClock } from './testing/VirtualClock.ts';

function setup(
  opts: {
    script?: (nth: number) => SendResult | Promise<SendResult>;
    online?: { value: boolean };
    locks?: () => LockManagerLike | undefined;
  } = {},
) {
  const clock = new VirtualClock();
  const online = opts.online ?? { value: true };
  const outbox = new Outbox({
    store: new MemoryStore({ clock }),
    clock,
    origin: 'https://app.example',
    retry: { jitter: false, baseDelayMs: 1000 },
  });
  const transport = new ScriptedTransport((_op, nth) => opts.script?.(nth) ?? { ok: true });
  const errors: unknown[] = [];
  const worker = new SyncWorker({
    outbox,
    transport,
    clock,
    timers: clock,
    owner: 'w1',
    probe: new NetworkProbe(() => online.value),
    offlineRecheckMs: 10_000,
    onError: (err) => errors.push(err),
    lock: { locks: opts.locks ?? (() => undefined), name: 'ferry-runner' },
  });
  return { clock, outbox, transport, worker, online, errors };
}

const op = { kind: 'k', target: '/a', payload: null };

/** Lets promise chains (store transactions, the loop's schedule step) settle. */
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('SyncWorker loop', () => {
  // Moved from sw's Runner.test.ts ('drains everything ready, then sets its own timer for the next due op').
  it('drains everything ready, then sets its own timer for the next due op', async () => {
    const { clock, outbox, transport, worker } = setup({
      script: (nth) => (nth === 1 ? { ok: false, retryable: true, status: 503, retryAfterMs: 5000 } : { ok: true }),
    });
    const { id } = await outbox.enqueue(op);
    await worker.start();
    expect(transport.timesSent(id)).toBe(1);
    expect((await outbox.get(id))?.status).toBe('pending');
    clock.advance(4999);
    await settle();
    expect(transport.timesSent(id)).toBe(1);
    clock.advance(1);
    await expect.poll(async () => (await outbox.get(id))?.status).toBe('done');
    expect(transport.timesSent(id)).toBe(2);
    await worker.stop();
  });

  // Moved from sw's Runner.test.ts ('calls made during a drain join it and make it look once more').
  it('wakes during a drain join it and make it look once more', async () => {
    const { outbox, transport, worker } = setup();
    await outbox.enqueue(op);
    const first = worker.start();
    await outbox.enqueue(op);
    const second = worker.wake();
    expect(second).toBe(first);
    await first;
    expect(transport.sent).toHaveLength(2);
    await worker.stop();
  });

  // Moved from sw's Runner.test.ts ('sends nothing offline and only re-checks now and then').
  it('sends nothing offline and only re-checks now and then', async () => {
    const { clock, outbox, transport, worker, online } = setup({ online: { value: false } });
    await outbox.enqueue(op);
    await worker.start();
    await settle();
    expect(transport.sent).toHaveLength(0);
    online.value = true;
    clock.advance(9_999);
    await settle();
    expect(transport.sent).toHaveLength(0);
    clock.advance(1);
    await expect.poll(() => transport.sent.length).toBe(1);
    await worker.stop();
  });

  // Moved from sw's Runner.test.ts ('after close, drains nothing and its timer is gone').
  it('after stop, a wake drains nothing and no timer is left', async () => {
    const { clock, outbox, transport, worker } = setup();
    await worker.start();
    await worker.stop();
    await outbox.enqueue(op);
    await worker.wake();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(60_000);
    await settle();
    expect(transport.sent).toHaveLength(0);
  });

  it('wake() resolves only once its drain has ended, its send answered and recorded', async () => {
    let answer: (r: SendResult) => void = () => {};
    const { outbox, worker } = setup({ script: () => new Promise<SendResult>((resolve) => (answer = resolve)) });
    await worker.start();
    const { id } = await outbox.enqueue(op);
    let woken = false;
    const wake = worker.wake().then(() => (woken = true));
    await expect.poll(async () => (await outbox.get(id))?.status).toBe('inflight');
    await settle();
    expect(woken).toBe(false);
    answer({ ok: true });
    await wake;
    expect((await outbox.get(id))?.status).toBe('done');
    await worker.stop();
  });

  it('with a lock manager, each drain holds the lock and first takes back the leases of a runner that is gone', async () => {
    const locks = memoryLocks();
    let heldWhileSending = -1;
    const { outbox, transport, worker } = setup({
      locks: () => locks,
      script: () => {
        heldWhileSending = locks.held;
        return { ok: true };
      },
    });
    await outbox.enqueue(op);
    // A runner that died mid-send: its lease has hours left.
    const [dead] = await outbox.delivery.claim({ owner: 'dead', lanes: 1, leaseMs: 3_600_000 });
    await worker.start();
    expect(heldWhileSending).toBe(1);
    expect(locks.held).toBe(0);
    expect(transport.sent.map((o) => o.id)).toEqual([dead?.id]);
    expect((await outbox.get(dead?.id as string))?.status).toBe('done');
    await worker.stop();
  });

  it('without a lock manager, drains unlocked and leaves another runner its lease until it ends', async () => {
    const { clock, outbox, transport, worker } = setup();
    await outbox.enqueue(op);
    const [other] = await outbox.delivery.claim({ owner: 'other', lanes: 1, leaseMs: 60_000 });
    await worker.start();
    expect(transport.sent).toHaveLength(0);
    expect((await outbox.get(other?.id as string))?.status).toBe('inflight');
    clock.advance(60_000);
    await expect.poll(async () => (await outbox.get(other?.id as string))?.status).toBe('done');
    await worker.stop();
  });

  it('stop() gives up a lock request still waiting: the drain never runs, and nothing is reported', async () => {
    const locks = memoryLocks();
    let release: () => void = () => {};
    void locks.request('ferry-runner', {}, () => new Promise<void>((resolve) => (release = resolve)));
    const { outbox, transport, worker, errors } = setup({ locks: () => locks });
    await outbox.enqueue(op);
    const woken = worker.start();
    await settle();
    await worker.stop();
    await woken;
    release();
    await settle();
    await settle();
    expect(transport.sent).toHaveLength(0);
    expect(errors).toEqual([]);
    expect(locks.held).toBe(0);
  });
});
