import type { FerryClient } from '@ferry/client';
import { createFerryClient } from '@ferry/client';
import { createFerryStatus } from '@ferry/client/status';
import { MemoryStore, Outbox } from '@ferry/core';
import { summarize } from '@ferry/core/protocol';
import { ScriptedTransport } from '@ferry/core/testing';
import { createFerryHost } from '@ferry/sw';
import { testPlatform, testServiceWorker } from '@ferry/sw/testing';
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { createElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { FerryProvider, useEnqueue, useFerryStatus, useOp, useOps } from './index.ts';

// React's act() environment, as React Testing Library sets it up under Jest.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const ORIGIN = location.origin;
let n = 0;

/**
 * A real host in this page over a MemoryStore, offline so that it sends
 * nothing by itself, and an Outbox on the same store that plays the worker's
 * sends (claim, complete). Host, player and client share a real
 * BroadcastChannel. The client is wrapped to count live listeners.
 */
function setup() {
  const name = `ferry-react-test-${n++}-${Math.random()}`;
  const store = new MemoryStore();
  const host = createFerryHost({
    storage: { store: async () => store },
    transport: new ScriptedTransport(),
    platform: testPlatform({ origin: () => ORIGIN, isOnline: () => false, channel: () => new BroadcastChannel(name) }),
    logger: { level: 'silent' },
  });
  const player = new Outbox({ store, origin: ORIGIN });
  /** Plays the worker too, but its changes are never broadcast (lost, as with a worker stopped after its commit). */
  const silent = new Outbox({ store, origin: ORIGIN });
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
  const status = Object.assign(() => snapshot(), {
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
  const wrapper = ({ children }: { children: ReactNode }) => createElement(FerryProvider, { client, status }, children);
  const op = (lane = 'chat', payload = 1) => ({ kind: 'message.send', target: '/api/m', payload, lane });
  /** The player claims the next ready op and delivers it. */
  const sendOne = async () => {
    const [c] = await player.delivery.claim({ owner: 'player', lanes: 1, leaseMs: 60_000 });
    if (c) await player.delivery.exchange({ settlements: [{ run: [c], results: [{ ok: true }] }] });
  };
  return {
    client,
    status,
    inner,
    player,
    silent,
    requests,
    live,
    wrapper,
    op,
    sendOne,
    close: async () => {
      out.close();
      await inner.close();
      await host.close();
    },
  };
}

/** The same client, whose `list` goes out `ms` later: a burst's changes all come while one is on its way. */
function slowLists(t: ReturnType<typeof setup>, ms: number) {
  const later = () => new Promise((r) => setTimeout(r, ms));
  const client: FerryClient = { ...t.client, list: (q) => later().then(() => t.client.list(q)) };
  const wrapper = ({ children }: { children: ReactNode }) =>
    createElement(FerryProvider, { client, status: t.status }, children);
  return { client, wrapper };
}

afterEach(() => cleanup());

describe('@ferry/react in Chromium', () => {
  it('useFerryStatus re-renders on each change, without a request per change, and stops listening on unmount', async () => {
    const t = setup();
    let renders = 0;
    const { result, unmount } = renderHook(
      () => {
        renders++;
        return useFerryStatus();
      },
      { wrapper: t.wrapper },
    );
    expect(result.current.loaded).toBe(false);
    await waitFor(() => expect(result.current.loaded).toBe(true));
    expect(t.live.status).toBe(1);
    await act(() => Promise.all([t.client.enqueue(t.op('a')), t.client.enqueue(t.op('b'))]));
    await waitFor(() => expect(result.current.counts.pending).toBe(2));
    expect(result.current.lanes).toEqual({
      a: { pending: 1, inflight: 0, done: 0, failed: 0 },
      b: { pending: 1, inflight: 0, done: 0, failed: 0 },
    });
    const statusRequests = t.requests.filter((r) => r === 'status').length;
    await act(() => t.sendOne());
    await waitFor(() => expect(result.current.counts.done).toBe(1));
    expect(result.current.lastSyncedAt).not.toBeNull();
    expect(result.current.drain).toMatchObject({ total: 2, done: 1, failed: 0 });
    expect(t.requests.filter((r) => r === 'status').length).toBe(statusRequests);
    unmount();
    expect(t.live.status).toBe(0);
    const before = renders;
    await t.client.enqueue(t.op('a'));
    await new Promise((r) => setTimeout(r, 50));
    expect(renders).toBe(before);
    await t.close();
  });

  it('useFerryStatus throws under a provider given no status snapshot', async () => {
    const t = setup();
    const bare = ({ children }: { children: ReactNode }) =>
      createElement(FerryProvider, { client: t.client }, children);
    expect(() => renderHook(() => useFerryStatus(), { wrapper: bare })).toThrow(/createFerryStatus/);
    await t.close();
  });

  it('useOp follows one op through pending, inflight, failed and remove; null for an unknown id; stops listening on unmount', async () => {
    const t = setup();
    const id = await t.client.enqueue(t.op());
    const { result, unmount, rerender } = renderHook(({ id }) => useOp(id), {
      wrapper: t.wrapper,
      initialProps: { id },
    });
    expect(result.current).toBeUndefined();
    await waitFor(() => expect(result.current?.status).toBe('pending'));
    const [claimed] = await act(() => t.player.delivery.claim({ owner: 'player', lanes: 1, leaseMs: 60_000 }));
    await waitFor(() => expect(result.current?.status).toBe('inflight'));
    const refused = { ok: false, retryable: false, status: 400 } as const;
    await act(() => t.player.delivery.exchange({ settlements: [{ run: [claimed as never], results: [refused] }] }));
    await waitFor(() => expect(result.current?.status).toBe('failed'));
    await act(() => t.client.remove(id));
    await waitFor(() => expect(result.current).toBeNull());
    rerender({ id: 'nope' });
    await waitFor(() => expect(result.current).toBeNull());
    expect(t.live.feed).toBe(1);
    unmount();
    expect(t.live.feed).toBe(0);
    await t.close();
  });

  it('useOps re-lists on changes of its lane only, and a burst costs at most two lists', async () => {
    const t = setup();
    const { result, unmount } = renderHook(() => useOps({ lane: 'a' }), { wrapper: slowLists(t, 30).wrapper });
    await waitFor(() => expect(result.current).toEqual([]));
    await act(() => t.client.enqueue(t.op('a', 1)));
    await waitFor(() => expect(result.current?.map((o) => o.payload)).toEqual([1]));
    let lists = t.requests.filter((r) => r === 'list').length;
    await act(() => t.client.enqueue(t.op('b', 2)));
    await new Promise((r) => setTimeout(r, 50));
    expect(t.requests.filter((r) => r === 'list').length).toBe(lists);
    // Ten enqueues in one task: one broadcast each, one list on its way and one more after it.
    await act(() => Promise.all(Array.from({ length: 10 }, (_, i) => t.client.enqueue(t.op('a', 10 + i)))));
    await waitFor(() => expect(result.current).toHaveLength(11));
    expect(t.requests.filter((r) => r === 'list').length - lists).toBeLessThanOrEqual(2);
    lists = t.requests.filter((r) => r === 'list').length;
    await act(() => t.sendOne());
    await waitFor(() => expect(result.current?.[0]?.status).toBe('done'));
    unmount();
    expect(t.live.feed).toBe(0);
    await t.close();
  });

  it('useOps renders at least every maxWaitMs while changes keep coming', async () => {
    const t = setup();
    // A list takes 20 ms: every answer finds another change already came, so each one is stale on arrival.
    const { wrapper } = slowLists(t, 20);
    let shown = 0;
    let last: unknown;
    const { result, unmount } = renderHook(
      () => {
        const ops = useOps({ lane: 'a' }, { maxWaitMs: 100 });
        if (ops !== last) shown++;
        last = ops;
        return ops;
      },
      { wrapper },
    );
    await waitFor(() => expect(result.current).toEqual([]));
    const before = shown;
    const until = Date.now() + 600;
    let n = 0;
    // Outside act(), which would hold every render until its scope ends: React renders as in an app.
    const env = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
    env.IS_REACT_ACT_ENVIRONMENT = false;
    try {
      while (Date.now() < until) {
        await t.client.enqueue(t.op('a', n++));
        await new Promise((r) => setTimeout(r, 4));
      }
    } finally {
      env.IS_REACT_ACT_ENVIRONMENT = true;
    }
    // Shown while the changes flowed, not only once they stopped.
    expect(shown - before).toBeGreaterThanOrEqual(3);
    await waitFor(() => expect(result.current).toHaveLength(n));
    unmount();
    await t.close();
  });

  it('useOp reads again after a lost broadcast: on focus, and on its quiet timer while not settled', async () => {
    const t = setup();
    const id = await t.client.enqueue(t.op());
    const { result, unmount } = renderHook(() => useOp(id), { wrapper: t.wrapper });
    await waitFor(() => expect(result.current?.status).toBe('pending'));
    const [claimed] = await t.silent.delivery.claim({ owner: 'silent', lanes: 1, leaseMs: 60_000 });
    await new Promise((r) => setTimeout(r, 50));
    expect(result.current?.status).toBe('pending');
    await act(async () => void dispatchEvent(new Event('focus')));
    await waitFor(() => expect(result.current?.status).toBe('inflight'));
    unmount();
    // The timer: no event at all.
    const timed = renderHook(() => useOp(id, { recheckMs: 50 }), { wrapper: t.wrapper });
    await waitFor(() => expect(timed.result.current?.status).toBe('inflight'));
    await t.silent.delivery.exchange({ settlements: [{ run: [claimed as never], results: [{ ok: true }] }] });
    await waitFor(() => expect(timed.result.current?.status).toBe('done'), { timeout: 1000 });
    timed.unmount();
    await t.close();
  });

  it('useEnqueue is stable across renders and enqueues durably', async () => {
    const t = setup();
    const { result, rerender } = renderHook(() => useEnqueue(), { wrapper: t.wrapper });
    const first = result.current;
    rerender();
    expect(result.current).toBe(first);
    const id = await act(() => result.current(t.op()));
    expect((await t.client.get(id))?.status).toBe('pending');
    await t.close();
  });

  it('a hook outside a FerryProvider says so', () => {
    expect(() => renderHook(() => useFerryStatus())).toThrow(/FerryProvider/);
  });
});
