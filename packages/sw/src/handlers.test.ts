import { describe, expect, it } from 'vitest';
import type { ListeningHost, ServiceWorkerScopeLike } from './handlers.ts';
import { ferryHandlers, listen } from './handlers.ts';
import { ferryNames } from '@ferry/core';
import { messageName } from '@ferry/core/protocol';

/** A scope that records what Ferry asked of it, and dispatches events by hand. */
function fakeScope(state?: string) {
  const calls: string[] = [];
  const listeners = new Map<string, (e: Event) => void>();
  const worker = state === undefined ? undefined : { state };
  const scope: ServiceWorkerScopeLike = {
    location: { origin: 'https://app.example' },
    clients: { claim: async () => void calls.push('claim') },
    skipWaiting: async () => void calls.push('skipWaiting'),
    addEventListener: (type, fn) => listeners.set(type, fn),
    removeEventListener: (type) => listeners.delete(type),
    ...(worker && { serviceWorker: worker }),
  };
  const waited: Promise<unknown>[] = [];
  const event = (more: object = {}) =>
    ({ waitUntil: (p: Promise<unknown>) => waited.push(p), ...more }) as unknown as Event;
  return { scope, calls, listeners, worker, waited, event };
}

function fakeHost() {
  const calls: unknown[][] = [];
  const host: ListeningHost = {
    names: ferryNames(),
    serves: (data) => messageName(data) === undefined,
    receive: async (data, port) => void calls.push(['receive', data, port]),
    onSync: async (lastChance) => void calls.push(['sync', lastChance]),
    wake: async () => void calls.push(['wake']),
  };
  return { host, calls };
}

const replies = () => {
  const got: unknown[] = [];
  return { got, port: { postMessage: (m: unknown) => void got.push(m) } };
};

describe('listen', () => {
  it('leaves the lifecycle to the app by default', async () => {
    const s = fakeScope('activated');
    const h = fakeHost();
    listen(h.host, s.scope);
    s.listeners.get('install')?.(s.event());
    s.listeners.get('activate')?.(s.event());
    await Promise.all(s.waited);
    expect(s.calls).toEqual([]);
  });

  it('takes it when asked: skipWaiting at install, clients.claim at activate', async () => {
    const s = fakeScope('installing');
    const h = fakeHost();
    listen(h.host, s.scope, { skipWaiting: true, clientsClaim: true });
    s.listeners.get('install')?.(s.event());
    s.listeners.get('activate')?.(s.event());
    await Promise.all(s.waited);
    expect(s.calls).toEqual(['skipWaiting', 'claim']);
  });

  it('activate waits only for clients.claim: the drain runs under a message the worker posts to itself', async () => {
    const s = fakeScope('activating');
    const worker = s.worker as { state: string; postMessage?: (m: unknown) => void };
    // Dispatched later, as a real worker's own message is: an event of its own.
    const origin = s.scope.location.origin;
    const dispatch = (data: unknown) => s.listeners.get('message')?.(s.event({ data, origin, ports: [] }));
    worker.postMessage = (data) => void setTimeout(() => dispatch(data));
    let drained = false;
    let endDrain!: () => void;
    const host: ListeningHost = {
      ...fakeHost().host,
      wake: () => new Promise<void>(() => {}),
      receive: (data) => {
        expect(data).toMatchObject({ ferry: true, type: 'kick' });
        return new Promise<void>((resolve) => (endDrain = resolve)).then(() => void (drained = true));
      },
    };
    listen(host, s.scope, { clientsClaim: true });
    s.listeners.get('activate')?.(s.event());
    const activation = s.waited.slice();
    expect(activation).toHaveLength(1);
    // The drain never ends here, yet activation completes once the claim did.
    const timeout = new Promise((r) => setTimeout(r, 200, false));
    const finished = await Promise.race([Promise.all(activation).then(() => true), timeout]);
    expect(finished, 'activation completed while the drain runs').toBe(true);
    expect(s.calls).toEqual(['claim']);
    await expect.poll(() => s.waited.length).toBe(2);
    expect(drained).toBe(false);
    endDrain();
    await s.waited[1];
    expect(drained).toBe(true);
  });

  it('handles only messages that carry the marker; others are left to the app', () => {
    const s = fakeScope('activated');
    const h = fakeHost();
    const ferry = ferryHandlers(h.host, s.scope);
    const r = replies();
    for (const data of [
      { type: 'GET_VERSION' },
      'hello',
      null,
      { v: 1, id: 'a', type: 'ping' },
      { ferry: 'yes', v: 1, id: 'b', type: 'ping' },
    ]) {
      expect(ferry.message(s.event({ data, origin: 'https://app.example', ports: [r.port] }))).toBe(false);
    }
    expect(h.calls).toEqual([]);
    expect(r.got).toEqual([]);
    const mine = { ferry: true, v: 1, id: 'c', type: 'ping' };
    expect(ferry.message(s.event({ data: mine, origin: 'https://app.example', ports: [r.port] }))).toBe(true);
    expect(h.calls).toEqual([['receive', mine, r.port]]);
  });

  it('a worker that is installing or waiting neither drains nor serves; it starts at activate', async () => {
    const s = fakeScope('installed');
    const h = fakeHost();
    listen(h.host, s.scope);
    const r = replies();
    s.listeners.get('message')?.(
      s.event({ data: { ferry: true, v: 1, id: 'w', type: 'kick', reason: 'kick' }, origin: '', ports: [r.port] }),
    );
    s.listeners.get('sync')?.(s.event({ tag: 'ferry' }));
    expect(h.calls).toEqual([]);
    expect(r.got).toEqual([
      { v: 1, id: 'w', ok: false, error: { code: 'invalid-state', message: expect.any(String) } },
    ]);

    s.listeners.get('activate')?.(s.event());
    await Promise.all(s.waited);
    expect(h.calls).toEqual([['wake']]);
  });

  it('a worker that a newer version replaced (redundant) stops serving and sending', async () => {
    const s = fakeScope('activating');
    const h = fakeHost();
    const ferry = ferryHandlers(h.host, s.scope);
    ferry.activate(s.event());
    await Promise.all(s.waited);
    (s.worker as { state: string }).state = 'redundant';
    const r = replies();
    expect(
      ferry.message(s.event({ data: { ferry: true, v: 1, id: 'r', type: 'ping' }, origin: '', ports: [r.port] })),
    ).toBe(true);
    ferry.start();
    expect(h.calls).toEqual([['wake']]);
    expect(r.got).toMatchObject([{ id: 'r', ok: false, error: { code: 'invalid-state' } }]);
  });

  it('without self.serviceWorker, a worker that saw install waits for activate', async () => {
    const s = fakeScope();
    const h = fakeHost();
    const ferry = ferryHandlers(h.host, s.scope);
    ferry.install(s.event());
    ferry.start();
    expect(ferry.sync(s.event({ tag: 'ferry' }))).toBe(true);
    expect(h.calls).toEqual([]);
    ferry.activate(s.event());
    await Promise.all(s.waited);
    expect(h.calls).toEqual([['wake']]);
  });

  it('drains at start-up in the activated worker; syncs on its own tag only', () => {
    const s = fakeScope('activated');
    const h = fakeHost();
    const stop = listen(h.host, s.scope);
    expect(h.calls).toEqual([['wake']]);
    s.listeners.get('sync')?.(s.event({ tag: 'app-tag' }));
    s.listeners.get('sync')?.(s.event({ tag: 'ferry', lastChance: true }));
    expect(h.calls).toEqual([['wake'], ['sync', true]]);
    stop();
    expect(s.listeners.size).toBe(0);
  });
});
