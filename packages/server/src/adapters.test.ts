import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from './createHandler.ts';
import type { FerryVariables } from './hono.ts';
import { batch, idempotency } from './hono.ts';
import { toNodeListener } from './node.ts';
import { PgliteStore } from './PgliteStore.ts';

let store: PgliteStore;
beforeAll(async () => {
  store = new PgliteStore();
  await store.ready();
}, 60_000);
afterAll(() => store.close());

const body = (text: string) => JSON.stringify({ text });

describe('Node http adapter', () => {
  it('serves the layer on node:http: body, headers, cookies, replays, problems, and a batch', async () => {
    let calls = 0;
    const handler = createHandler({
      store,
      batchPath: '/api/batch',
      scope: (req) => req.headers.get('cookie')?.match(/user=(\w+)/)?.[1] ?? null,
      handler: async (req) => {
        calls++;
        const { text } = (await req.json()) as { text: string };
        const headers = new Headers({ 'content-type': 'application/json' });
        headers.append('set-cookie', 'a=1');
        headers.append('set-cookie', 'b=2');
        return new Response(JSON.stringify({ text, path: new URL(req.url).pathname + new URL(req.url).search }), {
          status: 201,
          headers,
        });
      },
    });
    const server = createServer(toNodeListener(handler));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const send = (key: string | null, text = 'hi') =>
        fetch(`${url}/api/messages?x=1`, {
          method: 'POST',
          headers: { cookie: 'user=alice', 'content-type': 'application/json', ...(key && { 'idempotency-key': key }) },
          body: body(text),
        });
      const first = await send('n1');
      expect(first.status).toBe(201);
      expect(first.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
      expect(await first.json()).toEqual({ text: 'hi', path: '/api/messages?x=1' });
      const again = await send('n1');
      expect([again.status, again.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
      expect(again.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
      const missing = await send(null);
      expect([
        missing.status,
        missing.headers.get('content-type'),
        ((await missing.json()) as { code: string }).code,
      ]).toEqual([400, 'application/problem+json', 'idempotency-key-missing']);
      const batched = await fetch(`${url}/api/batch`, {
        method: 'POST',
        headers: { cookie: 'user=alice', 'content-type': 'application/json' },
        body: JSON.stringify({
          ops: [
            { target: '/api/messages?x=1', method: 'POST', idempotencyKey: 'n1', payload: { text: 'hi' } },
            { target: '/api/messages', method: 'POST', idempotencyKey: 'n2', payload: { text: 'two' } },
          ],
        }),
      });
      // n1 was sent alone before: its result is the stored answer's body, as a replay alone would be.
      expect(await batched.json()).toEqual({
        results: [
          { status: 201, body: { text: 'hi', path: '/api/messages?x=1' } },
          { status: 201, body: { text: 'two', path: '/api/messages' } },
        ],
      });
      expect(calls).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('Hono adapter', () => {
  it('middleware dedups keyed routes, hands handlers a readable body and the key, and the batch goes through app.fetch', async () => {
    const app = new Hono<{ Variables: FerryVariables & { user: string } }>();
    const seen: string[] = [];
    app.use('*', async (c, next) => {
      const user = c.req.header('authorization')?.replace('Bearer ', '');
      if (!user) return c.json({ error: 'sign in' }, 401);
      c.set('user', user);
      return next();
    });
    app.post('/api/batch', batch(app));
    app.use('/api/*', idempotency({ store, scope: (c) => c.get('user') as string }));
    app.post('/api/messages', async (c) => {
      const { text } = await c.req.json<{ text: string }>();
      seen.push(`${c.get('user')}:${c.get('ferry').key}:${text}`);
      return c.json({ text }, 201);
    });
    const send = (key: string, user = 'alice', text = 'hello') =>
      app.request('/api/messages', {
        method: 'POST',
        headers: { authorization: `Bearer ${user}`, 'idempotency-key': key, 'content-type': 'application/json' },
        body: body(text),
      });
    expect((await send('h1')).status).toBe(201);
    const again = await send('h1');
    expect([again.status, again.headers.get('idempotent-replayed'), await again.json()]).toEqual([
      201,
      'true',
      { text: 'hello' },
    ]);
    expect((await send('h1', 'bob')).headers.get('idempotent-replayed')).toBeNull();
    expect((await send('h1', 'alice', 'changed')).status).toBe(422);
    const res = await app.request('/api/batch', {
      method: 'POST',
      headers: { authorization: 'Bearer alice', 'content-type': 'application/json' },
      body: JSON.stringify({
        ops: [
          { target: '/api/messages', method: 'POST', idempotencyKey: 'h1', payload: { text: 'hello' } },
          { target: '/api/messages', method: 'POST', idempotencyKey: 'h2', payload: { text: 'two' } },
        ],
      }),
    });
    expect(await res.json()).toEqual({
      results: [
        { status: 201, body: { text: 'hello' } },
        { status: 201, body: { text: 'two' } },
      ],
    });
    expect(seen).toEqual(['alice:h1:hello', 'bob:h1:hello', 'alice:h2:two']);
    // The batch's items meet the app's auth middleware too.
    const anonymous = await app.request('/api/batch', { method: 'POST', body: JSON.stringify({ ops: [] }) });
    expect(anonymous.status).toBe(401);
  });
});
