import type { Change, LogEvent, Operation } from '@ferry/core';
import { ferryNames } from '@ferry/core';
import { describe, expect, it, vi } from 'vitest';
import type { PluginHost } from './FerryPlugin.ts';
import { FerryPlugin, workboxHeaders } from './FerryPlugin.ts';
import type { CacheStorageLike } from './lib/headerStore.ts';
import { keptHeaders } from './lib/headerStore.ts';

/** Cache Storage in memory. */
function memoryCaches(): CacheStorageLike & { dump(): string } {
  const caches = new Map<string, Map<string, string>>();
  const open = async (name: string) => {
    const c = caches.get(name) ?? new Map<string, string>();
    caches.set(name, c);
    return {
      match: async (k: string) => (c.has(k) ? new Response(c.get(k)) : undefined),
      put: async (k: string, r: Response) => void c.set(k, await r.text()),
      delete: async (k: string) => c.delete(k),
      keys: async () => [...c.keys()],
    };
  };
  return { open, dump: () => JSON.stringify([...caches].map(([n, c]) => [n, [...c]])) };
}

/** A host that stores what it is asked to enqueue; `emit` plays a committed change of one of its ops. */
function fakeHost(name?: string) {
  const ops: Operation[] = [];
  const listeners = new Set<(change: Change) => void>();
  const host: PluginHost = {
    names: ferryNames(name),
    subscribe: (fn) => {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    handle: async (req) => {
      if (req.type === 'get') return { result: ops.find((o) => o.id === req.opId) ?? null };
      if (req.type === 'list') {
        const { lane, status, user } = req.query ?? {};
        const mine = (o: Operation): boolean => user === undefined || o.user === user;
        return { result: ops.filter((o) => o.lane === lane && o.status === status && mine(o)) };
      }
      if (req.type !== 'enqueue') throw new Error(req.type);
      if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.op.method ?? 'POST')) throw new Error('invalid-operation');
      const op = {
        ...req.op,
        id: `op${ops.length + 1}`,
        status: 'pending',
        lane: req.op.lane ?? 'default',
      } as Operation;
      ops.push(op);
      return { result: op };
    },
  };
  const emit = (type: Change['type'], id: string, status: Operation['status']): void => {
    const i = ops.findIndex((o) => o.id === id);
    const op = { ...(ops[i] as Operation), status };
    if (type === 'remove') ops.splice(i, 1);
    else ops[i] = op;
    for (const fn of listeners) fn({ type, lsn: 1, op } as Change);
  };
  return { host, ops, emit };
}

/** Queues `req` through the plugin as a failed fetch; resolves with the page's answer. */
async function queueFailed(plugin: FerryPlugin, req: Request): Promise<Response | undefined> {
  const state: Record<string, unknown> = {};
  await plugin.requestWillFetch({ request: req, state });
  await plugin.fetchDidFail({ request: req, originalRequest: req.clone(), error: new TypeError('offline'), state });
  return plugin.handlerDidError({ request: req, state });
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

const request = (body: string, headers: Record<string, string> = {}) =>
  new Request('https://app.example/api/messages?x=1', {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json', ...headers },
  });

describe('keptHeaders', () => {
  it('keeps the app headers, never credentials or the ones Ferry sets', () => {
    const kept = keptHeaders(
      request('{}', { Authorization: 'Bearer t', Cookie: 'c', 'X-App': 'a', 'X-Session': 's', 'Idempotency-Key': 'k' }),
      ['x-session'],
    );
    expect(kept).toEqual({ 'x-app': 'a' });
  });
});

describe('FerryPlugin', () => {
  it('queues a request that failed: JSON body as payload, headers kept apart, credentials dropped, 202 to the page', async () => {
    const caches = memoryCaches();
    const { host, ops } = fakeHost();
    const plugin = new FerryPlugin({ host, caches: () => caches });
    const state: Record<string, unknown> = {};
    const req = request('{"n":1}', { Authorization: 'Bearer secret', 'X-App': 'a', 'Idempotency-Key': 'key-1' });
    await plugin.requestWillFetch({ request: req, state });
    await plugin.fetchDidFail({ request: req, originalRequest: req.clone(), error: new TypeError('offline'), state });
    const res = await plugin.handlerDidError({ request: req, state });
    expect(res?.status).toBe(202);
    expect(await res?.json()).toEqual({ queued: true, id: 'op1' });
    expect(ops).toMatchObject([
      {
        kind: 'POST /api/messages',
        target: 'https://app.example/api/messages?x=1',
        method: 'POST',
        payload: { n: 1 },
        idempotencyKey: 'key-1',
        lane: 'workbox',
      },
    ]);
    expect(caches.dump()).not.toContain('secret');
    const headers = workboxHeaders(() => ({ Authorization: 'Bearer fresh' }), { caches: () => caches });
    expect(await headers(ops[0] as Operation)).toEqual({ 'x-app': 'a', Authorization: 'Bearer fresh' });
  });

  it('queues a 429, a 5xx only with an Idempotency-Key (202); lets others through; not a non-JSON body', async () => {
    const { host, ops } = fakeHost();
    const plugin = new FerryPlugin({ host, caches: memoryCaches, ordered: false });
    const keyed = { 'Idempotency-Key': 'k1' };
    for (const [status, headers, queued] of [
      [503, keyed, true],
      // A gateway's 502 may come after the upstream applied the request: without a key, a resend would apply it twice.
      [502, {}, false],
      [503, {}, false],
      [429, {}, true],
      [400, keyed, false],
      [201, {}, false],
    ] as const) {
      const state: Record<string, unknown> = {};
      await plugin.requestWillFetch({ request: request('{"n":2}', headers), state });
      const response = new Response(null, { status });
      const res = await plugin.fetchDidSucceed({ request: request('{"n":2}', headers), response, state });
      expect(res.status, `${status} ${JSON.stringify(headers)}`).toBe(queued ? 202 : status);
    }
    expect(ops).toHaveLength(2);
    const state: Record<string, unknown> = {};
    await plugin.requestWillFetch({ request: request('not json'), state });
    const response = new Response(null, { status: 429 });
    expect((await plugin.fetchDidSucceed({ request: request('not json'), response, state })).status).toBe(429);
    expect(ops).toHaveLength(2);
  });

  it('holds a request while its lane has ops waiting, and queues it behind them', async () => {
    const { host, ops } = fakeHost();
    const plugin = new FerryPlugin({ host, caches: memoryCaches });
    const first: Record<string, unknown> = {};
    await plugin.requestWillFetch({ request: request('{"n":1}'), state: first });
    await plugin.fetchDidFail({ request: request('{"n":1}'), state: first });
    const second: Record<string, unknown> = {};
    await expect(plugin.requestWillFetch({ request: request('{"n":2}'), state: second })).rejects.toThrow(
      /queued behind/,
    );
    expect((await plugin.handlerDidError({ request: request('{"n":2}'), state: second }))?.status).toBe(202);
    expect(ops.map((o) => o.payload)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("user: the op carries the request's user; lanes are per user; no extra headers for a user's op", async () => {
    const caches = memoryCaches();
    const { host, ops } = fakeHost();
    const user = (req: Request): string | undefined => req.headers.get('x-user') ?? undefined;
    const plugin = new FerryPlugin({ host, caches: () => caches, user });
    await queueFailed(plugin, request('{"n":1}', { 'X-User': 'alice' }));
    // Bob's request is not held behind Alice's op: it goes to the network.
    const bob: Record<string, unknown> = {};
    const fromBob = request('{"n":2}', { 'X-User': 'bob' });
    await expect(plugin.requestWillFetch({ request: fromBob, state: bob })).resolves.toBeInstanceOf(Request);
    // Alice's next one is.
    const fromAlice = request('{"n":3}', { 'X-User': 'alice' });
    await expect(plugin.requestWillFetch({ request: fromAlice, state: {} })).rejects.toThrow(/queued behind/);
    expect(ops.map((o) => o.user)).toEqual(['alice']);
    const fixed = new FerryPlugin({ host, caches: () => caches, user: 'carol', ordered: false });
    await queueFailed(fixed, request('{"n":4}'));
    expect(ops.map((o) => o.user)).toEqual(['alice', 'carol']);
    const headers = workboxHeaders(() => ({ Authorization: 'Bearer whoever-is-current' }), { caches: () => caches });
    expect(await headers(ops[0] as Operation)).toEqual({ 'x-user': 'alice' });
    const nobodys = { ...(ops[0] as Operation), user: undefined } as Operation;
    expect(await headers(nobodys)).toMatchObject({ Authorization: 'Bearer whoever-is-current' });
  });

  it("deletes an op's kept headers as it leaves the queue (done, remove), not while failed", async () => {
    const caches = memoryCaches();
    const { host, emit } = fakeHost('notes');
    const plugin = new FerryPlugin({ host, caches: () => caches, ordered: false });
    for (const n of [1, 2, 3, 4]) await queueFailed(plugin, request(`{"n":${n}}`, { 'X-Tenant': `t${n}` }));
    expect(caches.dump()).toContain('ferry-notes-workbox-headers');
    expect(caches.dump()).not.toContain('"ferry-workbox-headers"');
    emit('done', 'op1', 'done');
    emit('remove', 'op2', 'pending');
    emit('remove', 'op3', 'failed');
    emit('fail', 'op4', 'failed');
    await tick();
    const read = workboxHeaders(undefined, { name: 'notes', caches: () => caches });
    const tenant = async (id: string) => (await read({ id } as Operation))['x-tenant'] ?? null;
    const kept = await Promise.all(['op1', 'op2', 'op3', 'op4'].map(tenant));
    expect(kept).toEqual([null, null, null, 't4']);
  });

  it('sweeps the kept headers of ops that left the queue while no worker watched', async () => {
    const caches = memoryCaches();
    const { host, emit, ops } = fakeHost();
    const plugin = new FerryPlugin({ host, caches: () => caches, ordered: false });
    await queueFailed(plugin, request('{"n":1}', { 'X-Tenant': 'gone' }));
    await queueFailed(plugin, request('{"n":2}', { 'X-Tenant': 'kept' }));
    // op1 was delivered and compacted away by a worker that was stopped before it deleted the headers.
    ops.splice(0, 1);
    // The first change this worker sees (any) sweeps.
    emit('claim', 'op2', 'inflight');
    await tick();
    expect(caches.dump()).not.toContain('gone');
    expect(caches.dump()).toContain('kept');
  });

  it('leaves GET requests alone, as without the plugin, and warns once through its logger', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const events: LogEvent[] = [];
    const { host, ops } = fakeHost();
    const plugin = new FerryPlugin({ host, caches: memoryCaches, logger: { sink: (e) => events.push(e) } });
    await queueFailed(plugin, request('{"n":1}'));
    for (const n of [1, 2]) {
      const get = new Request(`https://app.example/api/messages?n=${n}`);
      const state: Record<string, unknown> = {};
      // Not held behind the lane's queued op, not queued when it fails: the page sees the failure.
      await expect(plugin.requestWillFetch({ request: get, state })).resolves.toBe(get);
      await plugin.fetchDidFail({ request: get, error: new TypeError('offline'), state });
      expect(await plugin.handlerDidError({ request: get, state })).toBeUndefined();
    }
    expect(ops).toHaveLength(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ level: 'warn', event: 'workbox.method-passed' });
    expect(events[0]?.reason).toMatch(/POST, PUT, PATCH and DELETE/);
    // The sink replaces the console.
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it("logs to the console by default, and nothing at level 'silent'", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const get = (): Request => new Request('https://app.example/api/messages');
    const loud = new FerryPlugin({ host: fakeHost().host, caches: memoryCaches });
    await loud.requestWillFetch({ request: get(), state: {} });
    await loud.requestWillFetch({ request: get(), state: {} });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toBe('[ferry] workbox.method-passed');
    const quiet = new FerryPlugin({ host: fakeHost().host, caches: memoryCaches, logger: { level: 'silent' } });
    await quiet.requestWillFetch({ request: get(), state: {} });
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });

  it('logs a failed cleanup of kept headers as workbox.cleanup-failed, and refuses a bad logger', async () => {
    const events: LogEvent[] = [];
    const { host, emit } = fakeHost();
    const broken = (): CacheStorageLike => ({
      open: async () => {
        throw new DOMException('the cache is gone', 'UnknownError');
      },
    });
    // The plugin listens to the host's changes from its construction on.
    new FerryPlugin({ host, caches: broken, ordered: false, logger: { sink: (e) => events.push(e) } });
    emit('done', 'op1', 'done');
    await tick();
    expect(events.map((e) => e.event)).toContain('workbox.cleanup-failed');
    expect(events[0]?.error).toEqual({ code: 'internal', message: 'UnknownError: the cache is gone' });
    expect(() => new FerryPlugin({ host, logger: { level: 'loud' } as never })).toThrow(/logger must be/);
  });
});
