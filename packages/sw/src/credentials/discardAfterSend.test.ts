/**
 * A sign-out with `discard: true` while one of the user's ops is on the wire:
 * that op settles first, and is deleted unless it was delivered; it never
 * goes out at the user's next sign-in, also when the worker was stopped
 * before its send settled. Driven through the host's protocol.
 */
import type { Operation, SendResult } from '@ferry/core';
import { MemoryStore } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { FerryHost } from '../FerryHost.ts';
import { testPlatform } from '../testing/index.ts';
import { credentials } from './index.ts';

/** A transport whose sends wait until the test answers them. */
function gate() {
  const sent: string[] = [];
  const waiting: ((r: SendResult) => void)[] = [];
  const transport = {
    send: (op: Operation) =>
      new Promise<SendResult>((resolve) => {
        sent.push((op.payload as { text: string }).text);
        waiting.push(resolve);
      }),
  };
  const answer = (r: SendResult): void => waiting.shift()?.(r);
  return { transport, sent, answer, pending: () => waiting.length };
}

function hostOver(store: MemoryStore, transport: ReturnType<typeof gate>['transport'], leaseMs = 60_000) {
  const host = new FerryHost({
    storage: { store: async () => store },
    transport,
    platform: testPlatform(),
    delivery: { leaseMs },
    credentials: credentials(),
    logger: { level: 'silent' },
  });
  let n = 0;
  /** One request, answered; the drain it asks for is left out (the tests drain with `wake`). */
  const call = async <T = unknown>(body: Record<string, unknown>): Promise<T> =>
    (await host.handle({ v: 1, id: `r${++n}`, ...body } as Parameters<FerryHost['handle']>[0])).result as T;
  const enqueue = (text: string) => {
    const op = { kind: 'k', target: '/api/m', payload: { text }, lane: 'l', user: 'alice' };
    return call<Operation>({ type: 'enqueue', op });
  };
  const given = { headers: { Authorization: 'Bearer a' } };
  /** What a page's sign-in does: the worker's sign-in (its epoch), then the user's credentials under it. */
  const signIn = async () => {
    const { epoch } = (await call({ type: 'signIn', user: 'alice' })) as { epoch: number };
    return call({ type: 'setCredentials', user: 'alice', credentials: given, epoch });
  };
  return { host, call, enqueue, signIn };
}

const until = async (check: () => boolean | Promise<boolean>): Promise<void> => {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('signOut({ discard: true }) with an op on the wire', () => {
  it('deletes the op once its send settles undelivered; the next sign-in sends nothing of it', async () => {
    const g = gate();
    const { host, call, enqueue, signIn } = hostOver(new MemoryStore(), g.transport);
    await signIn();
    const a1 = await enqueue('a1');
    const a2 = await enqueue('a2');
    const drain = host.wake();
    await until(() => g.pending() === 1);
    expect(await call({ type: 'signOut', user: 'alice', discard: true })).toEqual({ unsent: 2, discarded: 1 });
    expect(await call<Operation | null>({ type: 'get', opId: a2.id })).toBeNull();
    g.answer({ ok: false, retryable: true, status: 503, error: 'HTTP 503' });
    await drain;
    await until(async () => (await call({ type: 'get', opId: a1.id })) === null);
    expect(await call({ type: 'get', opId: a1.id })).toBeNull();
    await signIn();
    await host.wake();
    expect(g.sent).toEqual(['a1']);
    await host.close();
  });

  it('keeps a delivered one as done', async () => {
    const g = gate();
    const { host, call, enqueue, signIn } = hostOver(new MemoryStore(), g.transport);
    await signIn();
    const a1 = await enqueue('a1');
    const drain = host.wake();
    await until(() => g.pending() === 1);
    await call({ type: 'signOut', user: 'alice', discard: true });
    g.answer({ ok: true, status: 201 });
    await drain;
    expect(await call({ type: 'get', opId: a1.id })).toMatchObject({ status: 'done' });
    await host.close();
  });

  it('a worker stopped mid-send: the next worker deletes the op at the sign-in instead of sending it', async () => {
    const store = new MemoryStore();
    const first = gate();
    const old = hostOver(store, first.transport, 50);
    await old.signIn();
    const a1 = await old.enqueue('a1');
    void old.host.wake();
    await until(() => first.pending() === 1);
    await old.call({ type: 'signOut', user: 'alice', discard: true });
    // The worker is stopped: its send never settles, its lease runs out.
    await new Promise((r) => setTimeout(r, 80));
    const next = gate();
    const fresh = hostOver(store, next.transport, 50);
    await fresh.signIn();
    // A send would wait for the gate: the drain gets a bounded time.
    await Promise.race([fresh.host.wake(), new Promise((r) => setTimeout(r, 200))]);
    expect(next.sent).toEqual([]);
    expect(await fresh.call({ type: 'get', opId: a1.id })).toBeNull();
    next.answer({ ok: true, status: 201 });
    await fresh.host.close();
  });
});
