/**
 * The SyncWorker through what a long-lived worker meets: a wall clock that
 * steps back, a stop while a claim commits, a backlog of expired ops, a
 * retried op that had expired, and a runner that dies between its claim and
 * its send.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from './MemoryStore.ts';
import type { Operation, OperationInput } from './Operation.ts';
import { Outbox } from './outbox/Outbox.ts';
import type { RetryPolicyOptions } from './RetryPolicy.ts';
import { NetworkProbe } from './NetworkProbe.ts';
import { SyncWorker } from './SyncWorker.ts';
import type { SendContext, SendResult, Transport } from './Transport.ts';
import { ScriptedTransport } from './testing/ScriptedTransport.ts';
import { VirtualClock } from './testing/VirtualClock.ts';
import { claim, complete, fail } from './testing/conformanceKit.ts';

const msg = (text: string, lane = 'chat'): OperationInput => ({ kind: 'm', target: '/api/m', payload: { text }, lane });
const expired = { status: 'failed', lastError: { message: expect.stringMatching(/maxAgeMs/) } };
const NO_ANSWER: SendResult = { ok: false, retryable: true, unanswered: true, error: 'aborted' };
const turns = async (n = 20): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};

function setup(retry: Partial<RetryPolicyOptions> = {}, transport: Transport = new ScriptedTransport()) {
  const clock = new VirtualClock();
  const store = new MemoryStore({ clock });
  const outbox = new Outbox({ store, clock, retry: { jitter: false, ...retry } });
  const worker = new SyncWorker({ outbox, transport, clock, timers: clock, owner: 'w1' });
  return { clock, store, outbox, worker };
}

describe('SyncWorker recovery', () => {
  it('a wall clock that stepped forward and back is believed again at once: a Retry-After still holds', async () => {
    const timers = new VirtualClock();
    let offset = 0;
    const wall = { now: () => timers.now() + offset };
    let pauseUntil = -Infinity;
    const sent: string[] = [];
    const transport: Transport = {
      send: async (op) => (sent.push(op.id), { ok: true }),
      pausedUntil: (_op, now) => (pauseUntil > now ? pauseUntil : undefined),
    };
    const outbox = new Outbox({ store: new MemoryStore({ clock: wall }), clock: wall });
    const worker = new SyncWorker({ outbox, transport, clock: wall, timers });
    offset = 3_600_000;
    const a = await outbox.enqueue(msg('a', 'a'));
    await worker.drain();
    // The clock comes back by an hour; the origin asks for a 10 s pause, in the corrected time.
    offset = 0;
    pauseUntil = wall.now() + 10_000;
    const b = await outbox.enqueue(msg('b', 'b'));
    await worker.drain();
    expect(sent).toEqual([a.id]);
    expect(await outbox.get(b.id)).toMatchObject({ status: 'pending', nextAttemptAt: pauseUntil, attempt: 0 });
  });

  it('stop while a claim commits: that op never goes on the wire, and stop does not wait for the lease', async () => {
    const sent: string[] = [];
    // A send that only ends when its signal aborts, as fetch does against a server that never answers.
    const hang: Transport = {
      send: (op: Operation, ctx: SendContext) =>
        new Promise<SendResult>((resolve) => {
          sent.push(op.id);
          ctx.signal.addEventListener('abort', () => resolve(NO_ANSWER));
        }),
    };
    const { store, outbox, worker } = setup({}, hang);
    const op = await outbox.enqueue(msg('x'));
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const real = store.transaction.bind(store);
    let held = false;
    store.transaction = ((mode, fn) => {
      if (mode !== 'readwrite' || held) return real(mode, fn);
      held = true;
      return gate.then(() => real(mode, fn));
    }) as typeof store.transaction;
    void worker.start();
    await turns();
    const stopped = worker.stop().then(() => 'stopped');
    open();
    expect(await Promise.race([stopped, turns(200).then(() => 'still waiting')])).toBe('stopped');
    expect(sent).toEqual([]);
    expect(await outbox.get(op.id)).toMatchObject({ status: 'pending', attempt: 0 });
  });

  it('drain sends what is due behind a backlog of expired heads, however many reads that takes', async () => {
    const transport = new ScriptedTransport();
    const { clock, outbox, worker } = setup({ maxAgeMs: 60_000 }, transport);
    for (let i = 0; i < 12; i++) await outbox.enqueue(msg(`old ${i}`, 'l'));
    clock.advance(61_000);
    const fresh = await outbox.enqueue(msg('fresh', 'l'));
    expect(await worker.drain()).toBe(1);
    expect(transport.sent.map((o) => o.id)).toEqual([fresh.id]);
    expect(await outbox.stats()).toMatchObject({ pending: 0, failed: 12, done: 1 });
  });

  it('a retried op that had expired gets a fresh age and is sent; an expired op never rides in a batch', async () => {
    const transport = new ScriptedTransport();
    const { clock, outbox, worker } = setup({ maxAgeMs: 60_000 }, transport);
    const old = await outbox.enqueue(msg('old'));
    clock.advance(61_000);
    await worker.drain();
    expect(await outbox.get(old.id)).toMatchObject(expired);
    await outbox.retry(old.id);
    expect(await worker.drain()).toBe(1);
    expect(await outbox.get(old.id)).toMatchObject({ status: 'done', attempt: 1 });
    expect(transport.sent.map((o) => o.id)).toEqual([old.id]);

    // A head refused and retried keeps its place, ahead of an op that expired meanwhile: the batch stops before it.
    const head = await outbox.enqueue(msg('head', 'q'));
    const late = await outbox.enqueue(msg('late', 'q'));
    const [claimed] = await claim(outbox, 'w', 1, 1000);
    await fail(outbox, claimed!, { ok: false, retryable: false, status: 400 });
    clock.advance(61_000);
    expect((await outbox.retry(head.id)).seq).toBe(head.seq);
    const [batchHead, ...rest] = await claim(outbox, 'w', 1, 1000, 3);
    expect([batchHead?.id, rest]).toEqual([head.id, []]);
    await complete(outbox, batchHead!);
    expect(await claim(outbox, 'w', 1, 1000, 3)).toEqual([]);
    expect(await outbox.get(late.id)).toMatchObject(expired);
  });
});

describe('SyncWorker.drain({ orphans: true })', () => {
  it("takes back a dead runner's lease that has not ended in the transaction of its first claim, and sends it", async () => {
    const { clock, store, outbox, worker } = setup();
    const a = await outbox.enqueue(msg('a'));
    await outbox.delivery.claim({ owner: 'dead', lanes: 1, leaseMs: 3_600_000 });
    let transactions = 0;
    const transaction = store.transaction.bind(store);
    store.transaction = (mode, fn) => (mode === 'readwrite' && transactions++, transaction(mode, fn));
    const transport = new ScriptedTransport();
    const w = new SyncWorker({ outbox, transport, clock, timers: clock, owner: 'w2' });
    // Without orphans the lease holds: nothing to send.
    expect(await worker.drain()).toBe(0);
    transactions = 0;
    expect(await w.drain({ orphans: true })).toBe(1);
    expect(transport.sent.map((o) => o.id)).toEqual([a.id]);
    // As many as the drain of one pending op commits (its claim, its outcome with the next claim, the last look):
    // the requeue rides in the first claim.
    expect(transactions).toBe(3);
  });

  it('takes them back on their own when no claim is made (offline)', async () => {
    const { clock, outbox } = setup();
    const a = await outbox.enqueue(msg('a'));
    await outbox.delivery.claim({ owner: 'dead', lanes: 1, leaseMs: 3_600_000 });
    const offline = new NetworkProbe(() => false);
    const w = new SyncWorker({ outbox, transport: new ScriptedTransport(), probe: offline, clock, timers: clock });
    expect(await w.drain({ orphans: true })).toBe(0);
    expect(await outbox.get(a.id)).toMatchObject({ status: 'pending' });
  });
});
