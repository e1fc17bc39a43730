import type { FerryClient } from '@ferry/client';
import { createFerryClient } from '@ferry/client';
import type { FerryStatusSource } from '@ferry/client/status';
import { createFerryStatus } from '@ferry/client/status';
import { MemoryStore, Outbox } from '@ferry/core';
import { summarize } from '@ferry/core/protocol';
import { ScriptedTransport } from '@ferry/core/testing';
import { createFerryHost } from '@ferry/sw';
import { testPlatform, testServiceWorker } from '@ferry/sw/testing';
import { describe, expect, it, vi } from 'vitest';
import type { EffectScope } from 'vue';
import { createApp, defineComponent, effectScope, h, ref } from 'vue';
import { ferryPlugin, provideFerry, useEnqueue, useFerryStatus, useOp, useOps, usePending } from './index.ts';

const ORIGIN = location.origin;
let n = 0;

/**
 * A real host in this page over a MemoryStore, offline so that it sends nothing by itself, and an
 * Outbox on the same store that plays the worker's sends. Host, player and client share a real
 * BroadcastChannel. The client and the status source are wrapped to count live listeners.
 */
function setup() {
  const name = `ferry-vue-test-${n++}-${Math.random()}`;
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
  const app = createApp({ render: () => null }).use(ferryPlugin({ client, status }));
  const scopes: EffectScope[] = [];
  /** Runs `fn` in a new effect scope of the app, as a component's setup would. */
  const use = <T>(fn: () => T): { value: T; scope: EffectScope } => {
    const scope = effectScope();
    scopes.push(scope);
    return { value: app.runWithContext(() => scope.run(fn) as T), scope };
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
    use,
    op,
    sendOne,
    lists,
    gets,
    close: async () => {
      for (const s of scopes) s.stop();
      out.close();
      await inner.close();
      await host.close();
    },
  };
}

/** A FerryError with code `invalid-config` whose message says `why`. */
const refused = (why: RegExp) =>
  expect.objectContaining({ code: 'invalid-config', message: expect.stringMatching(why) });

describe('@ferry/vue in Chromium', () => {
  it('useFerryStatus follows each change without a request per change, and stops listening with its scope', async () => {
    const t = setup();
    const { value: status, scope } = t.use(() => useFerryStatus());
    expect(status.value.loaded).toBe(false);
    await vi.waitFor(() => expect(status.value.loaded).toBe(true));
    expect(t.live.status).toBe(1);
    await Promise.all([t.client.enqueue(t.op('a')), t.client.enqueue(t.op('b'))]);
    await vi.waitFor(() => expect(status.value.counts.pending).toBe(2));
    const statusRequests = t.requests.filter((r) => r === 'status').length;
    await t.sendOne();
    await vi.waitFor(() => expect(status.value.counts.done).toBe(1));
    expect(status.value.lanes['a']).toEqual({ pending: 0, inflight: 0, done: 1, failed: 0 });
    expect(t.requests.filter((r) => r === 'status').length).toBe(statusRequests);
    scope.stop();
    expect(t.live.status).toBe(0);
    const last = status.value;
    await t.client.enqueue(t.op('a'));
    await new Promise((r) => setTimeout(r, 50));
    expect(status.value).toBe(last);
    await t.close();
  });

  it('useOp follows one op to done, follows a new id, and stops listening with its scope', async () => {
    const t = setup();
    const first = await t.client.enqueue(t.op());
    const id = ref(first);
    const { value: op, scope } = t.use(() => useOp(id));
    expect(op.value).toBeUndefined();
    await vi.waitFor(() => expect(op.value?.status).toBe('pending'));
    // Another op's changes ask nothing.
    const gets = t.gets();
    await t.client.enqueue(t.op('other'));
    await new Promise((r) => setTimeout(r, 50));
    expect(t.gets()).toBe(gets);
    await t.sendOne();
    await vi.waitFor(() => expect(op.value?.status).toBe('done'));
    id.value = 'nope';
    await vi.waitFor(() => expect(op.value).toBeNull());
    expect(t.live.feed).toBe(1);
    scope.stop();
    expect(t.live.feed).toBe(0);
    await t.close();
  });

  it("useOps lists its lane's ops, re-lists on changes of that lane only, and stops listening with its scope", async () => {
    const t = setup();
    const query = ref({ lane: 'a' });
    const { value: ops, scope } = t.use(() => useOps(query));
    await vi.waitFor(() => expect(ops.value).toEqual([]));
    await t.client.enqueue(t.op('a', 1));
    await vi.waitFor(() => expect(ops.value?.map((o) => o.payload)).toEqual([1]));
    const before = t.lists();
    await t.client.enqueue(t.op('b', 2));
    await new Promise((r) => setTimeout(r, 50));
    expect(t.lists()).toBe(before);
    expect(ops.value?.map((o) => o.payload)).toEqual([1]);
    // An equal query made anew asks nothing; another one lists again.
    query.value = { lane: 'a' };
    await new Promise((r) => setTimeout(r, 50));
    expect(t.lists()).toBe(before);
    query.value = { lane: 'b' };
    await vi.waitFor(() => expect(ops.value?.map((o) => o.payload)).toEqual([2]));
    expect(t.live.feed).toBe(1);
    scope.stop();
    expect(t.live.feed).toBe(0);
    await t.close();
  });

  it('usePending shows the ops not done with their payloads, drops one when done, and stops with its scope', async () => {
    const t = setup();
    // The overlay reaches into the client it extends: the one createFerryClient made.
    const app = createApp({ render: () => null }).use(ferryPlugin({ client: t.inner }));
    const scope = effectScope();
    const pending = app.runWithContext(() => scope.run(() => usePending({ lane: 'a' })))!;
    await t.inner.enqueue(t.op('a', 1));
    await t.inner.enqueue(t.op('b', 2));
    await t.inner.enqueue(t.op('a', 3));
    await vi.waitFor(() => expect(pending.value.map((o) => o.payload)).toEqual([1, 3]));
    await t.sendOne(); // lane a's head or lane b's: either way, one op of the three is done
    await vi.waitFor(async () =>
      expect(pending.value.map((o) => o.payload)).toEqual(
        (await t.inner.list({ lane: 'a', status: 'pending' })).map((o) => o.payload),
      ),
    );
    scope.stop();
    const shown = pending.value;
    await t.inner.enqueue(t.op('a', 4));
    await new Promise((r) => setTimeout(r, 100));
    expect(pending.value).toBe(shown);
    await t.close();
  });

  it('useEnqueue enqueues durably', async () => {
    const t = setup();
    const { value: enqueue } = t.use(() => useEnqueue());
    const id = await enqueue(t.op());
    expect((await t.client.get(id))?.status).toBe('pending');
    await t.close();
  });

  it('a component that uses them stops listening when it unmounts (provideFerry)', async () => {
    const t = setup();
    const id = await t.client.enqueue(t.op());
    const Child = defineComponent({
      setup() {
        const op = useOp(id);
        const status = useFerryStatus();
        return () => h('p', `${op.value?.status ?? '…'} ${status.value.counts.pending}`);
      },
    });
    const Parent = defineComponent({
      setup() {
        provideFerry({ client: t.client, status: t.status });
        return () => h(Child);
      },
    });
    const root = document.createElement('div');
    const app = createApp(Parent);
    app.mount(root);
    await vi.waitFor(() => expect(root.textContent).toBe('pending 1'));
    expect(t.live).toEqual({ feed: 1, status: 1 });
    app.unmount();
    expect(t.live).toEqual({ feed: 0, status: 0 });
    await t.close();
  });

  it('refuses with a typed error: outside any scope, without the plugin, without a status source', async () => {
    const t = setup();
    expect(() => useOp('x')).toThrow(refused(/effectScope/));
    expect(t.live.feed).toBe(0);
    const scope = effectScope();
    expect(() => scope.run(() => useOps())).toThrow(refused(/ferryPlugin/));
    const bare = createApp({ render: () => null }).use(ferryPlugin({ client: t.client }));
    expect(() => bare.runWithContext(() => scope.run(() => useFerryStatus()))).toThrow(refused(/createFerryStatus/));
    scope.stop();
    await t.close();
  });
});
