import type { Operation, SendResult } from '@ferry/core';
import { MemoryStore } from '@ferry/core';
import { ScriptedTransport } from '@ferry/core/testing';
import { describe, expect, it } from 'vitest';
import { FerryHost } from './FerryHost.ts';
import type { FerryHostOptions } from './options.ts';
import type { ChangeMessage, Reply } from '@ferry/core/protocol';
import { testChannel, testLocks, testPlatform } from './testing/index.ts';

function port(): { replies: Reply[]; postMessage(m: Reply): void } {
  return {
    replies: [],
    postMessage(m) {
      this.replies.push(m);
    },
  };
}

/** A host over a MemoryStore with a scripted transport; `more.platform` is merged into the test platform. */
function host(more: FerryHostOptions = {}) {
  const store = new MemoryStore();
  const transport = new ScriptedTransport();
  const channel = testChannel<ChangeMessage>();
  const registered: string[] = [];
  const h = new FerryHost({
    storage: { store: async () => store },
    transport,
    onError: () => {},
    ...more,
    platform: testPlatform({
      locks: () => testLocks(),
      channel: () => channel,
      backgroundSync: () => ({ register: async (tag) => void registered.push(tag) }),
      ...more.platform,
    }),
  });
  return { h, store, transport, channel, registered };
}

const op = { kind: 'message.send', target: '/api/m', payload: { text: 'hi' } };

describe('FerryHost.receive', () => {
  it('answers a malformed message with protocol-error and runs nothing', async () => {
    const { h, transport } = host();
    for (const data of [
      'x',
      { v: 1, id: 'a', type: 'enqueue ', op },
      { v: 2, id: 'b', type: 'enqueue', op },
      { v: 1, id: 'c', type: 'enqueue' },
    ]) {
      const p = port();
      await h.receive(data, p);
      expect(p.replies).toHaveLength(1);
      expect(p.replies[0]).toMatchObject({ v: 1, ok: false, error: { code: 'protocol-error' } });
    }
    const p = port();
    await h.receive({ v: 1, id: 's', type: 'stats' }, p);
    expect(p.replies[0]).toMatchObject({ ok: true, result: { pending: 0, inflight: 0, done: 0, failed: 0 } });
    expect(transport.sent).toHaveLength(0);
    await h.close();
  });

  it('enqueues, replies once durable, drains, broadcasts every change and asks for a sync', async () => {
    const { h, transport, channel, registered } = host();
    const p = port();
    await h.receive({ v: 1, id: 'e1', type: 'enqueue', op }, p);
    const reply = p.replies[0];
    expect(reply).toMatchObject({ v: 1, id: 'e1', ok: true, result: { status: 'pending', kind: 'message.send' } });
    const id = (reply as { result: { id: string } }).result.id;
    expect(transport.sent.map((o) => o.id)).toEqual([id]);
    expect(channel.sent.map((m) => m.change.type)).toEqual(['put', 'claim', 'done']);
    expect(channel.sent[2]).toEqual({
      v: 1,
      type: 'change',
      change: {
        type: 'done',
        lsn: expect.any(Number),
        op: {
          id,
          status: 'done',
          attempt: 1,
          nextAttemptAt: expect.any(Number),
          lane: 'default',
          kind: 'message.send',
          seq: expect.any(Number),
        },
      },
    });
    expect(registered).toEqual(['ferry']);
    await h.close();
  });

  it('answers an enqueue before it starts the drain; broadcasts the puts and asks for a sync', async () => {
    const { h, transport, channel, registered } = host();
    for (const body of [
      { type: 'enqueue', op },
      { type: 'enqueueBatch', ops: [op, op] },
    ]) {
      const before = { broadcasts: channel.sent.length, syncs: registered.length, sent: transport.sent.length };
      let sentAtReply: number | undefined;
      const p = port();
      p.postMessage = (m) => {
        sentAtReply = transport.sent.length;
        p.replies.push(m);
      };
      await h.receive({ v: 1, id: 'e', ...body }, p);
      expect(p.replies[0]).toMatchObject({ ok: true });
      expect(sentAtReply).toBe(before.sent);
      // Then all of it happened: the puts broadcast, a sync asked for, the ops sent.
      const puts = channel.sent.slice(before.broadcasts).filter((m) => m.change.type === 'put');
      expect(puts).toHaveLength(body.type === 'enqueue' ? 1 : 2);
      expect(registered.length).toBeGreaterThan(before.syncs);
      expect(transport.sent.length).toBe(before.sent + puts.length);
    }
    await h.close();
  });

  it('subscribe sees every committed change until its cleanup; a listener that throws goes to onError', async () => {
    const errors: unknown[] = [];
    const { h } = host({ onError: (err) => void errors.push(err) });
    const seen: string[] = [];
    const off = h.subscribe((change) => void seen.push(change.type));
    h.subscribe(() => {
      throw new Error('listener');
    });
    await h.receive({ v: 1, id: 'e1', type: 'enqueue', op }, port());
    expect(seen).toEqual(['put', 'claim', 'done']);
    expect(errors).toHaveLength(3);
    off();
    await h.receive({ v: 1, id: 'e2', type: 'enqueue', op }, port());
    expect(seen).toHaveLength(3);
    await h.close();
  });

  it('turns an invalid op into a typed error reply', async () => {
    const { h } = host();
    const p = port();
    await h.receive({ v: 1, id: 'e', type: 'enqueue', op: { ...op, target: 'https://evil.example/x' } }, p);
    expect(p.replies[0]).toMatchObject({ ok: false, error: { code: 'target-not-allowed' } });
    const q = port();
    await h.receive({ v: 1, id: 'g', type: 'retry', opId: 'missing' }, q);
    expect(q.replies[0]).toMatchObject({ ok: false, error: { code: 'not-found' } });
    await h.close();
  });

  it('enqueueBatch writes its ops in one transaction and answers one outcome per op; a bad op fails alone', async () => {
    const { h, store, transport } = host({ platform: { isOnline: () => false } });
    await h.ready();
    const writes: string[] = [];
    const transaction = store.transaction.bind(store);
    store.transaction = ((mode, fn) => {
      if (mode === 'readwrite') writes.push(mode);
      return transaction(mode, fn);
    }) as typeof store.transaction;
    await h.receive({ v: 1, id: 'seed', type: 'enqueue', op: { ...op, id: 'taken' } }, port());
    writes.length = 0;
    const p = port();
    const ops = [
      { ...op, id: 'a' },
      { ...op, id: 'b', target: 'https://evil.example/x' },
      'not an op',
      { ...op, id: 'taken' },
      { ...op, id: 'c', lane: 'other' },
    ];
    await h.receive({ v: 1, id: 'eb', type: 'enqueueBatch', ops }, p);
    expect(p.replies).toEqual([
      {
        v: 1,
        id: 'eb',
        ok: true,
        result: [
          'a',
          { code: 'target-not-allowed', message: expect.any(String) },
          { code: 'invalid-operation', message: expect.any(String) },
          { code: 'duplicate-id', message: expect.any(String) },
          'c',
        ],
      },
    ]);
    // One group commit, optimistic (no look-up of each id); the stored id makes it go again with the
    // look-up, which finds the duplicate, and the rest commits: three transactions, only on a duplicate.
    expect(writes.length).toBeLessThanOrEqual(3);
    const l = port();
    await h.receive({ v: 1, id: 'l', type: 'list', query: {} }, l);
    expect((l.replies[0] as { result: { id: string }[] }).result.map((o) => o.id)).toEqual(['taken', 'a', 'c']);
    expect(transport.sent).toHaveLength(0);
    await h.close();
  });

  it('enqueueBatch without a duplicate is exactly one readwrite transaction, acknowledged after it committed', async () => {
    const { h, store } = host({ platform: { isOnline: () => false } });
    await h.ready();
    let commits = 0;
    const transaction = store.transaction.bind(store);
    store.transaction = (async (mode, fn) => {
      const result = await transaction(mode, fn);
      if (mode === 'readwrite') commits++;
      return result;
    }) as typeof store.transaction;
    const p = port();
    let commitsAtReply = -1;
    const post = p.postMessage.bind(p);
    p.postMessage = (m) => {
      commitsAtReply = commits;
      post(m);
    };
    await h.receive({ v: 1, id: 'eb', type: 'enqueueBatch', ops: ['x', 'y', 'z'].map((id) => ({ ...op, id })) }, p);
    // (The wake after it may compact, in a transaction of its own: only what came before the reply counts.)
    expect(commitsAtReply).toBe(1);
    expect(p.replies[0]).toMatchObject({ ok: true, result: ['x', 'y', 'z'] });
    await h.close();
  });

  it('parks a permanent failure; retry re-sends it; remove deletes the dead letter', async () => {
    const transport = new ScriptedTransport((): SendResult => ({
      ok: false,
      retryable: false,
      status: 400,
      error: 'HTTP 400',
    }));
    const { h } = host({ transport });
    const p = port();
    await h.receive({ v: 1, id: 'e', type: 'enqueue', op }, p);
    const id = (p.replies[0] as { result: { id: string } }).result.id;
    const l = port();
    await h.receive({ v: 1, id: 'l', type: 'list', query: { status: 'failed' } }, l);
    expect(l.replies[0]).toMatchObject({ ok: true, result: [{ id, status: 'failed', lastError: { status: 400 } }] });
    await h.receive({ v: 1, id: 'r', type: 'retry', opId: id }, port());
    expect(transport.timesSent(id)).toBe(2);
    const d = port();
    await h.receive({ v: 1, id: 'd', type: 'remove', opId: id }, d);
    expect(d.replies[0]).toMatchObject({ ok: true, result: { id, status: 'failed' } });
    const g = port();
    await h.receive({ v: 1, id: 'g', type: 'get', opId: id }, g);
    expect(g.replies[0]).toMatchObject({ ok: true, result: null });
    await h.close();
  });

  it('retry with a filter re-sends the dead letters it picks, in enqueue order, each under a new key after its 400', async () => {
    let fail = true;
    const transport = new ScriptedTransport((): SendResult =>
      fail ? { ok: false, retryable: false, status: 400, error: 'HTTP 400' } : { ok: true },
    );
    const { h } = host({ transport });
    for (const lane of ['a', 'a', 'b'])
      await h.receive({ v: 1, id: 'e', type: 'enqueue', op: { ...op, lane } }, port());
    const l = port();
    await h.receive({ v: 1, id: 'l', type: 'list', query: { status: 'failed' } }, l);
    const failed = (l.replies[0] as { result: Operation[] }).result;
    expect(failed.map((o) => o.lane)).toEqual(['a', 'a', 'b']);
    fail = false;
    const r = port();
    await h.receive({ v: 1, id: 'r', type: 'retry', filter: { lane: 'a' } }, r);
    const back = (r.replies[0] as { result: Operation[] }).result;
    expect(back.map((o) => o.id)).toEqual(failed.slice(0, 2).map((o) => o.id));
    expect(back.every((o, i) => o.idempotencyKey !== failed[i]?.idempotencyKey)).toBe(true);
    expect(failed.map((o) => transport.timesSent(o.id))).toEqual([2, 2, 1]);
    await h.close();
  });
});

describe('one runner at a time', () => {
  it('a runner that gets the lock takes back ops leased by a runner that died, and resends them with the same key', async () => {
    const store = new MemoryStore();
    const locks = testLocks();
    // Runner A hangs on its send forever: it "dies" holding a lease. Its lock is released as a dead holder's would be.
    const hang = new ScriptedTransport(() => new Promise<SendResult>(() => {}));
    const a = new FerryHost({
      storage: { store: async () => store },
      transport: hang,
      platform: testPlatform(),
      onError: () => {},
    });
    // Not awaited: receive() resolves after the drain, which never ends here.
    void a.receive({ v: 1, id: 'e', type: 'enqueue', op }, port());
    // Wait until A's send started.
    await expect.poll(() => hang.sent.length).toBe(1);
    const b = host({ storage: { store: async () => store }, platform: { locks: () => locks } });
    await b.h.wake();
    expect(b.transport.sent).toHaveLength(1);
    expect(b.transport.sent[0]?.idempotencyKey).toBe(hang.sent[0]?.idempotencyKey);
    const s = port();
    await b.h.receive({ v: 1, id: 's', type: 'stats' }, s);
    expect(s.replies[0]).toMatchObject({ result: { done: 1, inflight: 0 } });
    expect(locks.held).toBe(0);
  });
});

describe('FerryHost compaction', () => {
  it('compacts done ops past the retention after a drain, at most once an hour, never queued or failed ones', async () => {
    const { VirtualClock } = await import('@ferry/core/testing');
    const clock = new VirtualClock();
    const store = new MemoryStore({ clock });
    const transport = new ScriptedTransport((o) =>
      o.payload && (o.payload as { text?: string }).text === 'bad'
        ? { ok: false, retryable: false, status: 400 }
        : { ok: true },
    );
    const { h } = host({
      storage: { store: async () => store, retentionMs: 1000 },
      transport,
      platform: { clock, timers: clock },
    });
    const send = async (text: string): Promise<string> => {
      const p = port();
      await h.receive({ v: 1, id: text, type: 'enqueue', op: { ...op, payload: { text } } }, p);
      return (p.replies[0] as { result: { id: string } }).result.id;
    };
    const old = await send('old');
    const bad = await send('bad');
    await h.wake(); // delivers; the first compaction finds nothing old yet
    const ids = async () => (await store.transaction('readonly', (tx) => tx.listOps({}))).map((r) => r.id);
    expect(await ids()).toEqual([old, bad]);
    clock.advance(2000);
    const later = await send('later');
    await h.wake(); // within the hour: no compaction, although 'old' is past retention
    expect(await ids()).toEqual([old, bad, later]);
    clock.advance(60 * 60 * 1000);
    await h.wake(); // done ops past retention go; the failed one stays
    expect(await ids()).toEqual([bad]);
    expect((await store.transaction('readonly', (tx) => tx.getOp(bad)))?.status).toBe('failed');
    await h.close();
  });
});
