import type { Operation } from '@ferry/core';
import { describe, expect, it } from 'vitest';
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
    };
  };
  return { open, dump: () => JSON.stringify([...caches].map(([n, c]) => [n, [...c]])) };
}

/** A host that stores what it is asked to enqueue. */
function fakeHost() {
  const ops: Operation[] = [];
  const host: PluginHost = {
    handle: async (req) => {
      if (req.type === 'list') return { result: ops.filter((o) => o.lane === req.query.lane && o.status === req.query.status) };
      if (req.type !== 'enqueue') throw new Error(req.type);
      const op = { ...req.op, id: `op${ops.length + 1}`, status: 'pending', lane: req.op.lane ?? 'default' } as Operation;
      ops.push(op);
      return { result: op };
    },
  };
  return { host, ops };
}

const request = (body: string, headers: Record<string, string> = {}) =>
  new Request('https://app.example/api/messages?x=1', { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } });

describe('keptHeaders', () => {
  it('keeps the app headers, never credentials or the ones Ferry sets', () => {
    const kept = keptHeaders(request('{}', { Authorization: 'Bearer t', Cookie: 'c', 'X-App': 'a', 'X-Session': 's', 'Idempotency-Key': 'k' }), ['x-session']);
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
    const headers = workboxHeaders(
      () => ({ Authorization: 'Bearer fresh' }),
      () => caches,
    );
    expect(await headers(ops[0] as Operation)).toEqual({ 'x-app': 'a', Authorization: 'Bearer fresh' });
  });

  it('queues a 503 and a 429 (answered 202), lets other answers through, and leaves a body that is not JSON alone', async () => {
    const { host, ops } = fakeHost();
    const plugin = new FerryPlugin({ host, caches: memoryCaches, ordered: false });
    for (const [status, queued] of [
      [503, true],
      [429, true],
      [400, false],
      [201, false],
    ] as const) {
      const state: Record<string, unknown> = {};
      await plugin.requestWillFetch({ request: request('{"n":2}'), state });
      const res = await plugin.fetchDidSucceed({ request: request('{"n":2}'), response: new Response(null, { status }), state });
      expect(res.status).toBe(queued ? 202 : status);
    }
    expect(ops).toHaveLength(2);
    const state: Record<string, unknown> = {};
    await plugin.requestWillFetch({ request: request('not json'), state });
    expect((await plugin.fetchDidSucceed({ request: request('not json'), response: new Response(null, { status: 503 }), state })).status).toBe(503);
    expect(ops).toHaveLength(2);
  });

  it('holds a request while its lane has ops waiting, and queues it behind them', async () => {
    const { host, ops } = fakeHost();
    const plugin = new FerryPlugin({ host, caches: memoryCaches });
    const first: Record<string, unknown> = {};
    await plugin.requestWillFetch({ request: request('{"n":1}'), state: first });
    await plugin.fetchDidFail({ request: request('{"n":1}'), state: first });
    const second: Record<string, unknown> = {};
    await expect(plugin.requestWillFetch({ request: request('{"n":2}'), state: second })).rejects.toThrow(/queued behind/);
    expect((await plugin.handlerDidError({ request: request('{"n":2}'), state: second }))?.status).toBe(202);
    expect(ops.map((o) => o.payload)).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
