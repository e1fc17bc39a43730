import { FerryError, MemoryStore } from '@ferry/core';
import { VirtualClock } from '@ferry/core/testing';
import { createFerryHost } from '@ferry/sw';
import { testPlatform } from '@ferry/sw/testing';
import { describe, expect, it } from 'vitest';
import { client, drive, fakeWorker, macrotask } from './testSupport.ts';

describe('client requests', () => {
  it('rejects with worker-timeout when the worker never answers, then recovers when one does', async () => {
    const worker = fakeWorker(() => undefined);
    const clock = new VirtualClock();
    const ferry = client(worker, clock, { timeoutMs: 250 });
    let outcome: unknown;
    const asked = ferry.stats().catch((e: unknown) => (outcome = e));
    await macrotask();
    clock.advance(249);
    await macrotask();
    expect(outcome).toBeUndefined();
    clock.advance(1);
    await asked;
    expect(outcome).toBeInstanceOf(FerryError);
    expect((outcome as FerryError).code).toBe('worker-timeout');
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
    const ferry = client(worker, new VirtualClock());
    expect(await ferry.enqueue({ kind: 'k', target: '/a', payload: 1 })).toBe('op1');
    await ferry.get('op1');
    await ferry.kick();
    await ferry.retry({ lane: 'chat', ids: ['op1'] });
    await ferry.retry('op1');
    expect(worker.received).toMatchObject([
      { v: 1, type: 'enqueueBatch', ops: [{ kind: 'k' }] },
      { v: 1, type: 'get', opId: 'op1' },
      { v: 1, type: 'kick', reason: 'kick' },
      { v: 1, type: 'retry', filter: { lane: 'chat', ids: ['op1'] } },
      { v: 1, type: 'retry', opId: 'op1' },
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
    const ferry = client(worker, new VirtualClock());
    const err = await ferry.retry('x').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'FerryError', code: 'target-not-allowed', message: 'no' });
    await ferry.close();
  });

  it('ignores a reply carrying another id: the request times out', async () => {
    const worker = fakeWorker(() => ({ v: 1, id: 'someone-else', ok: true, result: 1 }));
    const clock = new VirtualClock();
    const ferry = client(worker, clock, { timeoutMs: 250 });
    const code = await drive(
      clock,
      ferry.stats().catch((e: FerryError) => e.code),
      250,
    );
    expect(code).toBe('worker-timeout');
    await ferry.close();
  });

  it('whenDone resolves with a failed op, and rejects with not-found for a missing one', async () => {
    const failed = {
      id: 'f',
      status: 'failed',
      lastError: { message: 'HTTP 400', status: 400, retryable: false, at: 1 },
    };
    const worker = fakeWorker((msg) => ({ v: 1, id: msg.id, ok: true, result: msg.opId === 'f' ? failed : null }));
    const ferry = client(worker, new VirtualClock());
    expect(await ferry.whenDone('f')).toMatchObject({ status: 'failed' });
    expect(await ferry.whenDone('nope').catch((e: FerryError) => e.code)).toBe('not-found');
    await ferry.close();
  });

  it('syncNow resolves while a healthy drain outlasts the request timeout, and the drain goes on', async () => {
    let finish!: () => void;
    const clock = new VirtualClock();
    const host = createFerryHost({
      storage: { store: async () => new MemoryStore() },
      // One send that takes longer than the client's timeout, then succeeds.
      transport: { send: () => new Promise((resolve) => (finish = () => resolve({ ok: true }))) },
      platform: testPlatform({ clock, timers: clock }),
    });
    const drains: Promise<void>[] = [];
    const worker = {
      postMessage(msg: unknown, transfer: Transferable[]) {
        const port = transfer[0] as MessagePort;
        drains.push(host.receive(msg, { postMessage: (reply) => port.postMessage(reply) }));
      },
    };
    const ferry = client(worker, clock, { timeoutMs: 200 });
    await ferry.enqueue({ id: 'slow', kind: 'k', target: '/a', payload: {} });
    const started = clock.now();
    // The host answers after half the client's timeout (waitMs), while the send is still on the wire.
    expect(await drive(clock, ferry.syncNow(), 10)).toEqual({ pending: 0, inflight: 1, done: 0, failed: 0 });
    expect(clock.now() - started).toBeGreaterThanOrEqual(100);
    expect(clock.now() - started).toBeLessThan(200);
    finish();
    await Promise.all(drains);
    expect(await ferry.stats()).toEqual({ pending: 0, inflight: 0, done: 1, failed: 0 });
    await ferry.close();
    await host.close();
  });
});
