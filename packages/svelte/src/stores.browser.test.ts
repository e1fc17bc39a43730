import type { FerryClient } from '@ferry/client';
import { createFerryClient } from '@ferry/client';
import type { FerryStatusSource } from '@ferry/client/status';
import { createFerryStatus } from '@ferry/client/status';
import { MemoryStore, Outbox } from '@ferry/core';
import { summarize } from '@ferry/core/protocol';
import { ScriptedTransport } from '@ferry/core/testing';
import { createFerryHost } from '@ferry/sw';
import { testPlatform, testServiceWorker } from '@ferry/sw/testing';
import type { Readable } from 'svelte/store';
import { get } from 'svelte/store';
import { describe, expect, it, vi } from 'vitest';
import { ferryStatus, op, ops, pending } from './index.ts';

const ORIGIN = location.origin;
let n = 0;

/**
 * A real host in this page over a MemoryStore, offline so that it sends nothing by itself, and an
 * Outbox on the same store that plays the worker's sends. Host, player and client share a real
 * BroadcastChannel. The client and the status source are wrapped to count live listeners.
 */
function setup() {
  const name = `ferry-svelte-test-${n++}-${Math.random()}`;
  const store = new MemoryStore();
  const host = createFerryHost({
    storage: { store: async () => store },
    transport: new ScriptedTransport(),
    platform: testPlatform({ origin: () => ORIGIN, isOnline: () => false, channel: () => new BroadcastChannel(name) }),
    logger: { level: 'silent' },
  });
  const player = new Outbox({ store, origin: ORIGIN });
  const out = new BroadcastChannel(name);
  player.subscribe((change) => out.postMessage(summarize(change)));
  const { serviceWorker, requests } = testServiceWorker(host);
  const inner = createFerryClient({
    platform: {
      serviceWorker,
      channel: () => new BroadcastChannel(name),
    },
    forwardEvents: false,
  });
  const live = { feed: 0, status: 0 };
  const snapshot = createFerryStatus(inner);
  const status: FerryStatusSource = Object.assign(() => snapshot(), {
    getSnapshot: () => snapshot.getSnapshot(),
    refresh: () => snapshot.refresh(),
    subscribe: (fn: () => void) => {
      live.status++;
      const off = snapshot.subscribe(fn);
      return () => {
        live.status--;
        off();
      };
    },
  });
  const client: FerryClient = {
    ...inner,
    subscribe: (fn, filter) => {
      live.feed++;
      const off = inner.subscribe(fn, filter);
      return () => {
        live.feed--;
        off();
      };
    },
  };
  const op = (lane = 'chat', payload = 1) => ({ kind: 'message.send', target: '/api/m', payload, lane });
  /** The player claims the next ready op and delivers it. */
  const sendOne = async () => {
    const [c] = await player.delivery.claim({ owner: 'player', lanes: 1, leaseMs: 60_000 });
    if (c) await player.delivery.exchange({ settlements: [{ run: [c], results: [{ ok: true }] }] });
  };
  const lists = () => requests.filter((r) => r === 'list').length;
  const gets = () => requests.filter((r) => r === 'get').length;
  return {
    client,
    inner,
    status,
    player,
    requests,
    live,
    op,
    sendOne,
    lists,
    gets,
    close: async () => {
      out.close();
      await inner.close();
      await host.close();
    },
  };
}

/** Subscribes to `store` as a component would; `value()` is its latest value. */
function follow<T>(store: Readable<T>) {
  let value!: T;
  const off = store.subscribe((v) => (value = v));
  return { value: () => value, off };
}

describe('@ferry/svelte in Chromium', () => {
  it('ferryStatus follows each change without a request per change, and stops listening with its last subscriber', async () => {
    const t = setup();
    const store = ferryStatus(t.status);
    expect(t.live.status).toBe(0);
    const a = follow(store);
    const b = follow(store);
    expect(a.value().loaded).toBe(false);
    await vi.waitFor(() => expect(a.value().loaded).toBe(true));
    expect(t.live.status).toBe(1);
    await Promise.all([t.client.enqueue(t.op('a')), t.client.enqueue(t.op('b'))]);
    await vi.waitFor(() => expect(a.value().counts.pending).toBe(2));
    const statusRequests = t.requests.filter((r) => r === 'status').length;
    await t.sendOne();
    await vi.waitFor(() => expect(a.value().counts.done).toBe(1));
    expect(b.value()).toBe(a.value());
    expect(a.value().lanes['a']).toEqual({ pending: 0, inflight: 0, done: 1, failed: 0 });
    expect(t.requests.filter((r) => r === 'status').length).toBe(statusRequests);
    a.off();
    expect(t.live.status).toBe(1);
    b.off();
    expect(t.live.status).toBe(0);
    // The snapshot changes while the store has no subscriber: its next one starts from the current snapshot.
    const keep = t.status.subscribe(() => {});
    await t.client.enqueue(t.op('c'));
    await vi.waitFor(() => expect(t.status().counts.pending).toBe(2));
    expect(get(store).counts.pending).toBe(2);
    keep();
    expect(t.live.status).toBe(0);
    await t.close();
  });

  it('pending shows the ops not done with their payloads, drops one when done', async () => {
    const t = setup();
    // The overlay reaches into the client it extends: the one createFerryClient made.
    const overlay = follow(pending(t.inner, { lane: 'a' }));
    await t.inner.enqueue(t.op('a', 1));
    await t.inner.enqueue(t.op('b', 2));
    await t.inner.enqueue(t.op('a', 3));
    await vi.waitFor(() => expect(overlay.value().map((o) => o.payload)).toEqual([1, 3]));
    await t.sendOne(); // lane a's head or lane b's: either way, one op of the three is done
    await vi.waitFor(async () =>
      expect(overlay.value().map((o) => o.payload)).toEqual(
        (await t.inner.list({ lane: 'a', status: 'pending' })).map((o) => o.payload),
      ),
    );
    overlay.off();
    await t.close();
  });

  it('op follows one op to done, and stops listening with its last subscriber', async () => {
    const t = setup();
    const id = await t.client.enqueue(t.op());
    const one = follow(op(t.client, id));
    expect(one.value()).toBeUndefined();
    await vi.waitFor(() => expect(one.value()?.status).toBe('pending'));
    // Another op's changes ask nothing.
    const gets = t.gets();
    await t.client.enqueue(t.op('other'));
    await new Promise((r) => setTimeout(r, 50));
    expect(t.gets()).toBe(gets);
    await t.sendOne();
    await vi.waitFor(() => expect(one.value()?.status).toBe('done'));
    const none = follow(op(t.client, 'nope'));
    await vi.waitFor(() => expect(none.value()).toBeNull());
    expect(t.live.feed).toBe(2);
    one.off();
    none.off();
    expect(t.live.feed).toBe(0);
    await t.close();
  });

  it("ops lists its lane's ops, re-lists on changes of that lane only, and stops listening with its last subscriber", async () => {
    const t = setup();
    // A list takes 30 ms more: a burst's changes all come while one is on its way.
    const slow: FerryClient = {
      ...t.client,
      list: (q) => new Promise((r) => setTimeout(r, 30)).then(() => t.client.list(q)),
    };
    const list = follow(ops(slow, { lane: 'a' }));
    await vi.waitFor(() => expect(list.value()).toEqual([]));
    await t.client.enqueue(t.op('a', 1));
    await vi.waitFor(() => expect(list.value()?.map((o) => o.payload)).toEqual([1]));
    const before = t.lists();
    await t.client.enqueue(t.op('b', 2));
    await new Promise((r) => setTimeout(r, 50));
    expect(t.lists()).toBe(before);
    expect(list.value()?.map((o) => o.payload)).toEqual([1]);
    // Ten enqueues at once: one list on its way and one more after it.
    await Promise.all(Array.from({ length: 10 }, (_, i) => t.client.enqueue(t.op('a', 10 + i))));
    await vi.waitFor(() => expect(list.value()).toHaveLength(11));
    expect(t.lists() - before).toBeLessThanOrEqual(2);
    expect(t.live.feed).toBe(1);
    list.off();
    expect(t.live.feed).toBe(0);
    await t.close();
  });
});
