/** The pending overlay by example: one load, the change feed, payloads, filters, whose ops, cost. */
import type { Claimed, SendResult } from '@ferry/core';
import { FerryError } from '@ferry/core';
import { describe, expect, it, vi } from 'vitest';
import type { PendingQuery } from './pending.ts';
import { partsOf } from './lib/parts.ts';
import { createFerryPending } from './pending.ts';
import { harnessWith } from './status.testSupport.ts';

function setup(query?: PendingQuery) {
  const h = harnessWith({});
  const pending = createFerryPending(h.client, query);
  const seen: (readonly unknown[])[] = [];
  const off = pending.subscribe(() => seen.push(pending()));
  const settle = async (c: Claimed, result: SendResult) => {
    await h.driver.delivery.exchange({ settlements: [{ run: [c], results: [result] }] });
    await h.delivered();
  };
  const claim = async (lanes = 1) => {
    const got = await h.driver.delivery.claim({ owner: 'driver', lanes, leaseMs: 60_000 });
    await h.delivered();
    return got;
  };
  const enqueue = (payload: number, more: { lane?: string; kind?: string; user?: string } = {}) =>
    h.client.enqueue({ kind: more.kind ?? 'note.save', target: '/api/notes', payload: { n: payload }, ...more });
  /** Lets the requests the overlay made (its gets) be answered. */
  const settled = async () => {
    for (let i = 0; i < 4; i++) await h.delivered();
  };
  const close = async () => {
    off();
    await h.close();
  };
  return { h, pending, seen, settle, claim, enqueue, settled, close };
}

const payloads = (ops: readonly { payload: unknown }[]) => ops.map((o) => o.payload);

describe('pending overlay, by example', () => {
  it('is there after one list request with 1,000 ops queued, each with its payload, in enqueue order', async () => {
    const h = harnessWith({});
    for (let start = 0; start < 1000; start += 250)
      await Promise.all(
        Array.from({ length: 250 }, (_, i) =>
          h.client.enqueue({ kind: 'k', target: '/api/x', payload: { n: start + i }, lane: `l${i % 7}` }),
        ),
      );
    await h.delivered();
    h.requests.length = 0;
    const pending = createFerryPending(h.client);
    const t0 = performance.now();
    const first = new Promise<readonly unknown[]>((resolve) => {
      const off = pending.subscribe(() => {
        off();
        resolve(pending());
      });
    });
    const got = await first;
    const ms = performance.now() - t0;
    expect(got).toHaveLength(1000);
    expect(payloads(got as { payload: unknown }[])).toEqual(Array.from({ length: 1000 }, (_, n) => ({ n })));
    expect(h.requests).toEqual(['list']);
    console.info(`pending overlay: 1,000 ops after ${h.requests.length} request in ${ms.toFixed(1)} ms`);
    await h.close();
  });

  it('follows the change feed: in flight, retrying, dead letter with its reason, done, without a request per change', async () => {
    const { h, pending, seen, settle, claim, enqueue, settled, close } = setup();
    await pending.refresh();
    await enqueue(1, { lane: 'a' });
    await enqueue(2, { lane: 'b' });
    await settled();
    expect(payloads(pending())).toEqual([{ n: 1 }, { n: 2 }]);
    h.requests.length = 0;
    const [a, b] = await claim(2);
    expect(pending().map((o) => o.status)).toEqual(['inflight', 'inflight']);
    await settle(a as Claimed, { ok: false, retryable: true, status: 503 });
    await settle(b as Claimed, { ok: false, retryable: false, status: 422, error: 'title is required' });
    const [retrying, dead] = pending();
    expect(retrying).toMatchObject({ status: 'pending', payload: { n: 1 }, lastError: { status: 503 } });
    expect(dead).toMatchObject({ status: 'failed', payload: { n: 2 }, lastError: { status: 422, retryable: false } });
    h.clock.advance(600_000);
    const [again] = await claim(1);
    await settle(again as Claimed, { ok: true });
    expect(payloads(pending())).toEqual([{ n: 2 }]);
    expect(h.requests).toEqual([]);
    // The same array until something changed, as useSyncExternalStore needs.
    expect(pending()).toBe(seen.at(-1));
    expect(pending()).toBe(pending.getSnapshot());
    await close();
  });

  it('reads an op it has not seen, and an edited payload, with one get each; a removed op leaves', async () => {
    const { h, pending, enqueue, settled, close } = setup();
    await pending.refresh();
    h.requests.length = 0;
    const id = await enqueue(1);
    await settled();
    expect(pending()).toMatchObject([{ id, payload: { n: 1 } }]);
    await h.client.update(id, { payload: { n: 10 } });
    await settled();
    expect(pending()).toMatchObject([{ id, payload: { n: 10 } }]);
    expect(h.requests.filter((r) => r === 'get')).toHaveLength(2);
    await h.client.remove(id);
    await settled();
    expect(pending()).toEqual([]);
    await close();
  });

  it('reads many ops that appear at once with one list, not a get each', async () => {
    const { h, pending, settled, close } = setup();
    await pending.refresh();
    h.requests.length = 0;
    await Promise.all(
      Array.from({ length: 40 }, (_, n) => h.client.enqueue({ kind: 'k', target: '/api/x', payload: { n } })),
    );
    await settled();
    expect(pending()).toHaveLength(40);
    expect(h.requests.filter((r) => r !== 'enqueueBatch')).toEqual(['list']);
    await close();
  });

  it('keeps only the ops of its kind, lane and predicate; an edit can move an op in or out', async () => {
    const { h, pending, enqueue, settled, close } = setup({
      kind: 'note.save',
      lane: 'notes',
      where: (op) => (op.payload as { n: number }).n < 100,
    });
    await enqueue(1, { lane: 'notes' });
    await enqueue(2, { lane: 'other' });
    await enqueue(3, { lane: 'notes', kind: 'note.delete' });
    const big = await enqueue(200, { lane: 'notes' });
    await pending.refresh();
    expect(payloads(pending())).toEqual([{ n: 1 }]);
    await h.client.update(big, { payload: { n: 5 } });
    await settled();
    expect(payloads(pending())).toEqual([{ n: 1 }, { n: 5 }]);
    await h.client.update(big, { kind: 'note.delete' });
    await settled();
    expect(payloads(pending())).toEqual([{ n: 1 }]);
    await close();
  });

  it("is the signed-in user's by default and follows a switch of user; { id } and 'all' do not", async () => {
    const { h, pending, seen, enqueue, settled, close } = setup();
    const all = createFerryPending(h.client, { user: 'all' });
    const bobs = createFerryPending(h.client, { user: { id: 'bob' } });
    const offs = [all.subscribe(() => {}), bobs.subscribe(() => {})];
    await h.who.setUser('alice');
    await enqueue(1);
    await settled();
    const from = seen.length;
    await h.who.setUser('bob');
    await enqueue(2);
    await settled();
    expect(payloads(pending())).toEqual([{ n: 2 }]);
    // Not even for a moment does Bob's overlay show Alice's op.
    for (const snapshot of seen.slice(from))
      expect(payloads(snapshot as { payload: unknown }[])).not.toContainEqual({ n: 1 });
    expect(payloads(all())).toEqual([{ n: 1 }, { n: 2 }]);
    expect(payloads(bobs())).toEqual([{ n: 2 }]);
    await h.who.setUser('alice');
    await settled();
    expect(payloads(pending())).toEqual([{ n: 1 }]);
    expect(payloads(bobs())).toEqual([{ n: 2 }]);
    await h.who.setUser(null);
    await settled();
    expect(pending()).toEqual([]);
    for (const off of offs) off();
    await close();
  });

  it("holds nothing of the client's while nobody listens, and never shows another user's ops after a switch", async () => {
    const h = harnessWith({});
    const parts = partsOf(h.client);
    const before: [number, number] = [parts.userChanged.size, parts.closing.size];
    const pending = createFerryPending(h.client);
    await h.who.setUser('alice');
    await h.client.enqueue({ kind: 'k', target: '/api/x', payload: 1 });
    const off = pending.subscribe(() => {});
    await pending.refresh();
    expect(pending()).toHaveLength(1);
    expect([parts.userChanged.size, parts.closing.size]).toEqual([before[0] + 1, before[1] + 1]);
    off();
    expect([parts.userChanged.size, parts.closing.size]).toEqual(before);
    await h.who.setUser('bob');
    expect(pending()).toEqual([]);
    await h.close();
  });

  it("drops an op whose predicate throws and reports the error, and the change feed's other listeners go on", async () => {
    const real = queueMicrotask;
    const reported: unknown[] = [];
    vi.stubGlobal('queueMicrotask', (fn: () => void) =>
      real(() => {
        try {
          fn();
        } catch (err) {
          reported.push(err);
        }
      }),
    );
    try {
      const { h, pending, claim, enqueue, settled, close } = setup({
        where: (op) => {
          const { n } = op.payload as { n: number };
          if (n === 2 || (n === 1 && op.status === 'inflight')) throw new Error(`bad op ${n}`);
          return true;
        },
      });
      const heard: string[] = [];
      h.client.subscribe((change) => heard.push(change.op.id));
      await pending.refresh();
      const ids = [await enqueue(1), await enqueue(2), await enqueue(3)];
      await settled();
      expect(payloads(pending())).toEqual([{ n: 1 }, { n: 3 }]);
      // Op 1 in flight: tested inside the change feed's loop, before the listener below it.
      await claim(1);
      await settled();
      expect(payloads(pending())).toEqual([{ n: 3 }]);
      expect(reported).toEqual([new Error('bad op 2'), new Error('bad op 1')]);
      expect(heard).toEqual([...ids, ids[0]]);
      await close();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('refuses a query that is not one with invalid-argument', () => {
    const h = harnessWith({});
    for (const query of [{ kind: 1 }, { lane: null }, { where: 'x' }, { user: 'bob' }, { user: { id: 2 } }]) {
      expect(() => createFerryPending(h.client, query as never)).toThrow(FerryError);
      expect(() => createFerryPending(h.client, query as never)).toThrow(
        expect.objectContaining({ code: 'invalid-argument' }) as Error,
      );
    }
    expect(() => createFerryPending({} as never)).toThrow(
      expect.objectContaining({ code: 'invalid-argument' }) as Error,
    );
    void h.close();
  });
});
