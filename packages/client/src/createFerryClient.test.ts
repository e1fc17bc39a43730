import { FerryError } from '@ferry/core';
import { describe, expect, it } from 'vitest';
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

function channel() {
  return Object.assign(new EventTarget(), { close() {} });
}

function client(worker: ReturnType<typeof fakeWorker>, timeoutMs = 50) {
  const container = { controller: worker } as unknown as ServiceWorkerContainer;
  return createFerryClient({ serviceWorker: () => container, channel, forwardEvents: false, timeoutMs });
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
    const worker = fakeWorker((msg) => ({ v: 1, id: msg.id, ok: true, result: { id: 'op1' } }));
    const ferry = client(worker);
    expect(await ferry.enqueue({ kind: 'k', target: '/a', payload: 1 })).toBe('op1');
    await ferry.get('op1');
    await ferry.kick();
    expect(worker.received).toMatchObject([
      { v: 1, type: 'enqueue', op: { kind: 'k' } },
      { v: 1, type: 'get', opId: 'op1' },
      { v: 1, type: 'kick', reason: 'kick' },
    ]);
    expect(new Set(worker.received.map((m) => m.id)).size).toBe(3);
    await ferry.close();
  });

  it('rebuilds error replies into FerryError with their code', async () => {
    const worker = fakeWorker((msg) => ({ v: 1, id: msg.id, ok: false, error: { code: 'target-not-allowed', message: 'no' } }));
    const err = await client(worker).enqueue({ kind: 'k', target: 'https://x.example/', payload: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'FerryError', code: 'target-not-allowed', message: 'no' });
  });

  it('ignores a reply carrying another id', async () => {
    const worker = fakeWorker(() => ({ v: 1, id: 'someone-else', ok: true, result: 1 }));
    expect(await client(worker).stats().catch((e: FerryError) => e.code)).toBe('worker-timeout');
  });

  it('whenDone resolves with a failed op, and rejects with not-found for a missing one', async () => {
    const failed = { id: 'f', status: 'failed', lastError: { message: 'HTTP 400', status: 400, retryable: false, at: 1 } };
    const worker = fakeWorker((msg) => ({ v: 1, id: msg.id, ok: true, result: msg.opId === 'f' ? failed : null }));
    const ferry = client(worker);
    expect(await ferry.whenDone('f')).toMatchObject({ status: 'failed' });
    expect(await ferry.whenDone('nope').catch((e: FerryError) => e.code)).toBe('not-found');
  });
});
