import type { FerryError } from '@ferry/core';
import { VirtualClock } from '@ferry/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { createFerryClient } from './createFerryClient.ts';
import { channel, client, fakeWorker, macrotask } from './testSupport.ts';

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
    const ferry = client(worker, clock, { timeoutMs: 50, recheckMs: 30 });
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
    const ferry = client(worker, clock, { timeoutMs: 50, recheckMs: 60_000 });
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
    const ferry = client(worker, clock, { timeoutMs: 20, recheckMs: 30 });
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

describe('whenDone of an op that is removed', () => {
  it('rejects with not-found when the removal is broadcast', async () => {
    const worker = fakeWorker((msg) => ({ v: 1, id: msg.id, ok: true, result: { id: 'r', status: 'pending' } }));
    const clock = new VirtualClock();
    const ch = channel();
    const container = { controller: worker } as unknown as ServiceWorkerContainer;
    const ferry = createFerryClient({
      platform: { serviceWorker: () => container, channel: () => ch, clock, timers: clock },
      forwardEvents: false,
    });
    const outcome = ferry.whenDone('r').catch((err: FerryError) => err);
    await macrotask();
    const change = { type: 'remove', op: { id: 'r', status: 'pending' } };
    ch.dispatchEvent(new MessageEvent('message', { data: { v: 1, type: 'change', change } }));
    await expect(outcome).resolves.toMatchObject({ code: 'not-found', message: 'no operation "r"' });
    await ferry.close();
  });
});
