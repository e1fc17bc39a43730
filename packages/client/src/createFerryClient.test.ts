import { FerryError } from '@ferry/core';
import { describe, expect, it, vi } from 'vitest';
import { MAX_BATCH } from '@ferry/core/protocol';
import { createFerryHost } from '@ferry/sw';
import { testPlatform } from '@ferry/sw/testing';
import { MemoryStore } from '@ferry/core';
import { ScriptedTransport, VirtualClock } from '@ferry/core/testing';
import { createFerryClient } from './createFerryClient.ts';

/** A fake worker: `answer` decides the reply to each request, or undefined to stay silent (a killed worker). */
function fakeWorker(answer: (msg: Record<string, unknown>) => unknown) {
  const received: Record<string, unknown>[] = [];
  const worker = {
    received,
    answer,
    postMessage(msg: Record<string, unknown>, transfer: Transferable[]) {
      received.push(msg);
      const reply = worker.answer(msg);
      if (reply !== undefined) (transfer[0] as MessagePort).postMessage(reply);
    },
  };
  return worker;
}

/** Lets the messages already posted be delivered (a MessagePort delivers in a later task). */
const macrotask = () => new Promise((resolve) => setTimeout(resolve, 0));

function channel() {
  return Object.assign(new EventTarget(), { close() {} });
}

/** A client of `worker`; with `clock`, its timers (request timeouts, re-checks) run on that virtual clock. */
function client(
  worker: ReturnType<typeof fakeWorker>,
  timeoutMs = 250,
  recheckMs?: number,
  enqueueTimeoutMs = 0,
  clock?: VirtualClock,
) {
  const container = { controller: worker } as unknown as ServiceWorkerContainer;
  return createFerryClient({
    platform: { serviceWorker: () => container, channel, ...(clock && { clock, timers: clock }) },
    forwardEvents: false,
    timeoutMs,
    enqueueTimeoutMs,
    ...(recheckMs && { recheckMs }),
  });
}

describe('client requests', () => {
  it('rejects with worker-timeout when the worker never answers, then recovers when one does', async () => {
    const worker = fakeWorker(() => undefined);
    const ferry = client(worker);
    const err = await ferry.stats().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).code).toBe('worker-timeout');
    // A new worker started: it answers.
    worker.answer = (msg) => ({ v: 1, id: msg.id, ok: true, result: { pending: 1, inflight: 0, done: 0, failed: 0 } });
    expect(await ferry.stats()).toEqual({ pending: 1, inflight: 0, done: 0, failed: 0 });
    await ferry.close();
  });

  it('sends versioned, typed requests with unique ids', async () => {
    const worker = fakeWorker((msg) => ({
      v: 1,
      id: msg.id,
      ok: true,
      result: msg.type === 'enqueueBatch' ? ['op1'] : { id: 'op1' },
    }));
    const ferry = client(worker);
    expect(await ferry.enqueue({ kind: 'k', target: '/a', payload: 1 })).toBe('op1');
    await ferry.get('op1');
    await ferry.kick();
    await ferry.retryAll({ lane: 'chat', ids: ['op1'] });
    await ferry.retryAll();
    expect(worker.received).toMatchObject([
      { v: 1, type: 'enqueueBatch', ops: [{ kind: 'k' }] },
      { v: 1, type: 'get', opId: 'op1' },
      { v: 1, type: 'kick', reason: 'kick' },
      { v: 1, type: 'retryAll', filter: { lane: 'chat', ids: ['op1'] } },
      { v: 1, type: 'retryAll', filter: {} },
    ]);
    expect(new Set(worker.received.map((m) => m.id)).size).toBe(5);
    await ferry.close();
  });

  it('rebuilds error replies into FerryError with their code', async () => {
    const worker = fakeWorker((msg) => ({
      v: 1,
      id: msg.id,
      ok: false,
      error: { code: 'target-not-allowed', message: 'no' },
    }));
    const err = await client(worker)
      .retry('x')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'FerryError', code: 'target-not-allowed', message: 'no' });
  });

  it('ignores a reply carrying another id', async () => {
    const worker = fakeWorker(() => ({ v: 1, id: 'someone-else', ok: true, result: 1 }));
    expect(
      await client(worker)
        .stats()
        .catch((e: FerryError) => e.code),
    ).toBe('worker-timeout');
  });

  it('whenDone resolves with a failed op, and rejects with not-found for a missing one', async () => {
    const failed = {
      id: 'f',
      status: 'failed',
      lastError: { message: 'HTTP 400', status: 400, retryable: false, at: 1 },
    };
    const worker = fakeWorker((msg) => ({ v: 1, id: msg.id, ok: true, result: msg.opId === 'f' ? failed : null }));
    const ferry = client(worker);
    expect(await ferry.whenDone('f')).toMatchObject({ status: 'failed' });
    expect(await ferry.whenDone('nope').catch((e: FerryError) => e.code)).toBe('not-found');
  });
});

/** Answers an enqueueBatch the way the host does: an id per op, or the error of an op whose target is refused. */
const batchAnswer = (msg: Record<string, unknown>): unknown => {
  const ops = msg.ops as { id: string; target: string }[];
  return {
    v: 1,
    id: msg.id,
    ok: true,
    result: ops.map((o) =>
      o.target.startsWith('/') ? o.id : { code: 'target-not-allowed', message: `refused ${o.id}` },
    ),
  };
};
const op = (id: string, target = '/a') => ({ id, kind: 'k', target, payload: { id } });

describe('enqueue coalescing', () => {
  it('sends the enqueues of one task as one message and settles each caller on its own op', async () => {
    const worker = fakeWorker(batchAnswer);
    const ferry = client(worker);
    const calls = [ferry.enqueue(op('a')), ferry.enqueue(op('b', 'https://evil.example/')), ferry.enqueue(op('c'))];
    const outcomes = await Promise.allSettled(calls);
    expect(worker.received).toHaveLength(1);
    expect(worker.received[0]).toMatchObject({
      v: 1,
      type: 'enqueueBatch',
      ops: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
    });
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 'a' });
    expect(outcomes[1]).toMatchObject({
      status: 'rejected',
      reason: { name: 'FerryError', code: 'target-not-allowed', message: 'refused b' },
    });
    expect(outcomes[2]).toEqual({ status: 'fulfilled', value: 'c' });
    // A later task starts a new batch.
    expect(await ferry.enqueue(op('d'))).toBe('d');
    expect(worker.received).toHaveLength(2);
    expect(worker.received[1]).toMatchObject({ type: 'enqueueBatch', ops: [{ id: 'd' }] });
    await ferry.close();
  });

  it('resolves no caller before the reply (the host replies after commit)', async () => {
    let answerNow: (() => void) | undefined;
    const worker = {
      received: [] as Record<string, unknown>[],
      postMessage(msg: Record<string, unknown>, transfer: Transferable[]) {
        worker.received.push(msg);
        answerNow = () => (transfer[0] as MessagePort).postMessage(batchAnswer(msg));
      },
    };
    const ferry = client(worker as unknown as ReturnType<typeof fakeWorker>, 1000);
    const settled: string[] = [];
    const calls = ['a', 'b'].map((id) => ferry.enqueue(op(id)).then((v) => void settled.push(v)));
    await vi.waitFor(() => expect(worker.received).toHaveLength(1));
    await macrotask();
    expect(settled).toEqual([]);
    answerNow?.();
    await Promise.all(calls);
    expect(settled).toEqual(['a', 'b']);
    await ferry.close();
  });

  it('splits more than MAX_BATCH ops of one task into several messages, in order', async () => {
    const worker = fakeWorker(batchAnswer);
    const ferry = client(worker);
    const ids = Array.from({ length: MAX_BATCH + 5 }, (_, i) => `op${i}`);
    expect(await Promise.all(ids.map((id) => ferry.enqueue(op(id))))).toEqual(ids);
    expect(worker.received.map((m) => (m.ops as unknown[]).length)).toEqual([MAX_BATCH, 5]);
    await ferry.close();
  });

  it('sends a batch the worker does not answer again, with the same ids, until its deadline; then every caller hears worker-timeout', async () => {
    const worker = fakeWorker(() => undefined);
    const ferry = client(worker, 30, undefined, 200);
    const codes = await Promise.all(
      [ferry.enqueue(op('a')), ferry.enqueue(op('b'))].map((p) => p.catch((e: FerryError) => e.code)),
    );
    expect(codes).toEqual(['worker-timeout', 'worker-timeout']);
    expect(worker.received.length).toBeGreaterThanOrEqual(2);
    const ids = worker.received.map((m) =>
      (m.ops as { id: string; idempotencyKey: string }[]).map((o) => `${o.id}/${o.idempotencyKey}`).join(),
    );
    expect(new Set(ids).size).toBe(1);
    await ferry.close();
  });

  it('makes the id and idempotency key before posting, and keeps the ones given', async () => {
    const worker = fakeWorker((msg) => ({
      v: 1,
      id: msg.id,
      ok: true,
      result: (msg.ops as { id: string }[]).map((o) => o.id),
    }));
    const ferry = client(worker);
    const made = await ferry.enqueue(op('a'));
    const given = await ferry.enqueue({ ...op('b'), id: 'mine', idempotencyKey: 'my-key' });
    expect(given).toBe('mine');
    const [first, second] = worker.received.map((m) => (m.ops as { id: string; idempotencyKey: string }[])[0]);
    expect(first).toMatchObject({ id: made, idempotencyKey: expect.stringMatching(/^[\w-]{21}$/) });
    expect(second).toMatchObject({ id: 'mine', idempotencyKey: 'my-key' });
    await ferry.close();
  });

  it('an enqueue whose reply was lost is stored once: the repeat gets the stored op from a real host', async () => {
    const host = createFerryHost({
      storage: { store: async () => new MemoryStore() },
      transport: new ScriptedTransport(),
      platform: testPlatform({ isOnline: () => false }),
    });
    let dropFirst = true;
    const worker = {
      postMessage(msg: unknown, transfer: Transferable[]) {
        const port = transfer[0] as MessagePort;
        // The worker commits the first one, but its reply never reaches the page (it was killed after the commit).
        const drop = dropFirst;
        dropFirst = false;
        void host.receive(msg, { postMessage: (reply) => (drop ? undefined : port.postMessage(reply)) });
      },
    };
    const container = { controller: worker } as unknown as ServiceWorkerContainer;
    const ferry = createFerryClient({
      platform: { serviceWorker: () => container, channel },
      forwardEvents: false,
      timeoutMs: 50,
      enqueueTimeoutMs: 5000,
    });
    const id = await ferry.enqueue(op('once'));
    const stored = await ferry.list();
    expect(stored.map((o) => o.id)).toEqual([id]);
    await ferry.close();
    await host.close();
  });

  it('syncNow resolves while a healthy drain outlasts the request timeout, and the drain goes on', async () => {
    let finish!: () => void;
    const host = createFerryHost({
      storage: { store: async () => new MemoryStore() },
      // One send that takes longer than the client's timeout, then succeeds.
      transport: { send: () => new Promise((resolve) => (finish = () => resolve({ ok: true }))) },
      platform: testPlatform(),
    });
    const drains: Promise<void>[] = [];
    const worker = {
      postMessage(msg: unknown, transfer: Transferable[]) {
        const port = transfer[0] as MessagePort;
        drains.push(host.receive(msg, { postMessage: (reply) => port.postMessage(reply) }));
      },
    };
    const container = { controller: worker } as unknown as ServiceWorkerContainer;
    const ferry = createFerryClient({
      platform: { serviceWorker: () => container, channel },
      forwardEvents: false,
      timeoutMs: 200,
    });
    await ferry.enqueue(op('slow'));
    const started = Date.now();
    expect(await ferry.syncNow()).toEqual({ pending: 0, inflight: 1, done: 0, failed: 0 });
    expect(Date.now() - started).toBeLessThan(200);
    finish();
    await Promise.all(drains);
    expect(await ferry.stats()).toEqual({ pending: 0, inflight: 0, done: 1, failed: 0 });
    await ferry.close();
    await host.close();
  });

  it('falls back to one enqueue per op when the worker does not know enqueueBatch (an older worker)', async () => {
    const worker = fakeWorker((msg) =>
      msg.type === 'enqueue'
        ? { v: 1, id: msg.id, ok: true, result: { id: (msg.op as { id: string }).id } }
        : {
            v: 1,
            id: msg.id,
            ok: false,
            error: { code: 'protocol-error', message: 'unknown request type "enqueueBatch"' },
          },
    );
    const ferry = client(worker);
    expect(await Promise.all([ferry.enqueue(op('a')), ferry.enqueue(op('b'))])).toEqual(['a', 'b']);
    expect(worker.received.map((m) => m.type)).toEqual(['enqueueBatch', 'enqueue', 'enqueue']);
    await ferry.close();
  });

  it('an op postMessage cannot clone fails alone; the others of its batch are still sent', async () => {
    const worker = fakeWorker((msg) =>
      msg.type === 'enqueue'
        ? { v: 1, id: msg.id, ok: true, result: { id: (msg.op as { id: string }).id } }
        : batchAnswer(msg),
    );
    const post = worker.postMessage.bind(worker);
    // As a real worker's postMessage does: clone first, throw DataCloneError before anything is sent.
    worker.postMessage = (msg, transfer) => post(structuredClone(msg), transfer);
    const ferry = client(worker);
    const outcomes = await Promise.allSettled([
      ferry.enqueue(op('a')),
      ferry.enqueue({ kind: 'k', target: '/a', payload: { f: () => 1 } as never }),
      ferry.enqueue(op('c')),
    ]);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 'a' });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { code: 'payload-not-cloneable' } });
    expect(outcomes[2]).toEqual({ status: 'fulfilled', value: 'c' });
    await ferry.close();
  });

  it('turns a reply without an outcome for an op into protocol-error for that op', async () => {
    const worker = fakeWorker((msg) => ({ v: 1, id: msg.id, ok: true, result: ['a'] }));
    const ferry = client(worker);
    const outcomes = await Promise.allSettled([ferry.enqueue(op('a')), ferry.enqueue(op('b'))]);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 'a' });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { code: 'protocol-error' } });
    await ferry.close();
  });
});

describe('whenDone without the broadcast', () => {
  /** A worker whose op `w` turns done while nobody hears about it: no change is ever broadcast (it was killed before). */
  function silentWorker() {
    const state = { status: 'pending' };
    const worker = fakeWorker((msg) => ({
      v: 1,
      id: msg.id,
      ok: true,
      result: msg.type === 'get' ? { id: 'w', ...state } : null,
    }));
    return { worker, state, gets: () => worker.received.filter((m) => m.type === 'get').length };
  }
  /** Resolves once every request the client has sent was answered: only the re-check timer is left. */
  const answered = (clock: VirtualClock) => vi.waitFor(() => expect(clock.pendingTimers).toBe(1));

  it('settles on a slow re-check once the op is done, and stops asking after', async () => {
    const { worker, state, gets } = silentWorker();
    const clock = new VirtualClock();
    const ferry = client(worker, 50, 30, 0, clock);
    let result: unknown;
    const waiting = ferry.whenDone('w').then((op) => (result = op));
    await answered(clock);
    expect(result).toBeUndefined();
    expect(gets()).toBe(1);
    state.status = 'done';
    clock.advance(30);
    await waiting;
    expect(result).toMatchObject({ id: 'w', status: 'done' });
    expect(gets()).toBe(2);
    // Settled: no timer is left to ask again.
    expect(clock.pendingTimers).toBe(0);
    clock.advance(60_000);
    await macrotask();
    expect(gets()).toBe(2);
    await ferry.close();
  });

  it('looks again at once on kick, without waiting for the timer', async () => {
    const { worker, state } = silentWorker();
    const clock = new VirtualClock();
    const ferry = client(worker, 50, 60_000, 0, clock);
    let result: unknown;
    const waiting = ferry.whenDone('w').then((op) => (result = op));
    await answered(clock);
    expect(result).toBeUndefined();
    state.status = 'failed';
    await ferry.kick();
    await waiting;
    expect(result).toMatchObject({ status: 'failed' });
    await ferry.close();
  });

  it('a re-check the worker does not answer leaves the wait on, and a later one settles it', async () => {
    const { worker, state, gets } = silentWorker();
    const clock = new VirtualClock();
    const ferry = client(worker, 20, 30, 0, clock);
    let outcome: unknown;
    const waiting = ferry.whenDone('w').then(
      (op) => (outcome = op),
      (err: FerryError) => (outcome = err.code),
    );
    await answered(clock);
    const answer = worker.answer;
    worker.answer = () => undefined; // killed: every request times out
    clock.advance(30); // the re-check asks
    await vi.waitFor(() => expect(gets()).toBe(2));
    clock.advance(20); // and times out
    await answered(clock);
    expect(outcome).toBeUndefined();
    state.status = 'done';
    worker.answer = answer;
    clock.advance(10); // the next re-check
    await waiting;
    expect(outcome).toMatchObject({ status: 'done' });
    await ferry.close();
  });
});
