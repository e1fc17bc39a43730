import type { FerryError } from '@ferry/core';
import { MemoryStore } from '@ferry/core';
import { MAX_BATCH } from '@ferry/core/protocol';
import { ScriptedTransport, VirtualClock } from '@ferry/core/testing';
import { createFerryHost } from '@ferry/sw';
import { testPlatform } from '@ferry/sw/testing';
import { describe, expect, it, vi } from 'vitest';
import { client, drive, fakeWorker, macrotask } from './testSupport.ts';

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
    const ferry = client(worker, new VirtualClock());
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
    const ferry = client(worker, new VirtualClock());
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
    const ferry = client(worker, new VirtualClock());
    const ids = Array.from({ length: MAX_BATCH + 5 }, (_, i) => `op${i}`);
    expect(await Promise.all(ids.map((id) => ferry.enqueue(op(id))))).toEqual(ids);
    expect(worker.received.map((m) => (m.ops as unknown[]).length)).toEqual([MAX_BATCH, 5]);
    await ferry.close();
  });

  it('sends a batch the worker does not answer again, with the same ids, until its deadline; then every caller hears worker-timeout', async () => {
    const worker = fakeWorker(() => undefined);
    const clock = new VirtualClock();
    const ferry = client(worker, clock, { timeoutMs: 30, enqueueTimeoutMs: 200 });
    const calls = [ferry.enqueue(op('a')), ferry.enqueue(op('b'))].map((p) => p.catch((e: FerryError) => e.code));
    const codes = await drive(clock, Promise.all(calls), 30);
    expect(codes).toEqual(['worker-timeout', 'worker-timeout']);
    // Sent at 0, 30, …, 180 ms; the answer missing at 210 ms is past the deadline.
    expect(worker.received).toHaveLength(7);
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
    const ferry = client(worker, new VirtualClock());
    const made = await ferry.enqueue(op('a'));
    const given = await ferry.enqueue({ ...op('b'), id: 'mine', idempotencyKey: 'my-key' });
    expect(given).toBe('mine');
    const [first, second] = worker.received.map((m) => (m.ops as { id: string; idempotencyKey: string }[])[0]);
    expect(first).toMatchObject({ id: made, idempotencyKey: expect.stringMatching(/^\d+-\d+$/) });
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
    let sent = 0;
    const worker = {
      postMessage(msg: unknown, transfer: Transferable[]) {
        sent++;
        const port = transfer[0] as MessagePort;
        // The worker commits the first one, but its reply never reaches the page (it was killed after the commit).
        const drop = dropFirst;
        dropFirst = false;
        void host.receive(msg, { postMessage: (reply) => (drop ? undefined : port.postMessage(reply)) });
      },
    };
    const clock = new VirtualClock();
    const ferry = client(worker, clock, { timeoutMs: 50, enqueueTimeoutMs: 5000 });
    const id = await drive(clock, ferry.enqueue(op('once')), 50);
    expect(sent).toBeGreaterThanOrEqual(2);
    const stored = await ferry.list();
    expect(stored.map((o) => o.id)).toEqual([id]);
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
    const ferry = client(worker, new VirtualClock());
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
    const ferry = client(worker, new VirtualClock());
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
    const ferry = client(worker, new VirtualClock());
    const outcomes = await Promise.allSettled([ferry.enqueue(op('a')), ferry.enqueue(op('b'))]);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 'a' });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { code: 'protocol-error' } });
    await ferry.close();
  });
});
