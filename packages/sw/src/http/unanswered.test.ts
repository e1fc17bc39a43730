/**
 * Answers that are not the app's, and no answers at all, over a real Outbox,
 * SyncWorker and HttpTransport with the shipped retry defaults on a virtual
 * clock: an outage (behind a proxy or not) parks nothing; a poison op that
 * the app itself fails on still ends as a dead letter; a hook that throws
 * spends nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Reply, Req } from './testSupport.ts';
import { inOrder, opaque, world } from './testSupport.ts';

const HOUR = 60 * 60 * 1000;
const JSON_TYPE = { 'Content-Type': 'application/json' };
const created = (status: number): Response => new Response('{}', { status, headers: JSON_TYPE });
const HTML = { 'Content-Type': 'text/html' };
const badGateway = (status: number): Response => new Response('<html>Bad Gateway</html>', { status, headers: HTML });

describe('a gateway answer is not the app answer', () => {
  it.each([502, 503, 504])('2 h of %i from a proxy park nothing; then all arrive in order', async (status) => {
    let down = true;
    const w = world(() => (down ? badGateway(status) : created(201)));
    await w.enqueue('a', 4);
    await w.enqueue('b', 4);
    await w.run(2 * HOUR);
    const during = await w.list();
    expect(during.filter((o) => o.status === 'failed')).toEqual([]);
    expect(during.every((o) => o.attempt === 0)).toBe(true);
    expect(w.requests.length).toBeGreaterThan(100);
    down = false;
    await w.run(5 * 60 * 1000);
    expect((await w.list()).every((o) => o.status === 'done')).toBe(true);
    expect(w.applied).toHaveLength(8);
    expect(inOrder(w.applied)).toBe(true);
  });

  it('a 503 with Retry-After pauses the origin and spends nothing', async () => {
    let down = true;
    const unavailable = (): Response => new Response(null, { status: 503, headers: { 'Retry-After': '120' } });
    const w = world(() => (down ? unavailable() : created(201)));
    await w.enqueue('a', 1);
    await w.enqueue('b', 1);
    await w.run(HOUR);
    const sends = w.requests.length;
    // One pause of 120 s per round: at most a send per lane every two minutes.
    expect(sends).toBeLessThanOrEqual(2 * (HOUR / 120_000 + 1));
    expect((await w.list()).every((o) => o.status === 'pending' && o.attempt === 0)).toBe(true);
    down = false;
    await w.run(5 * 60 * 1000);
    expect(w.applied).toHaveLength(2);
  });

  it('a request that crashes the app behind a proxy ends failed while the app answers its health URL', async () => {
    const health = (req: Req): boolean => req.url.endsWith('/api/health');
    const crashes = (req: Req): boolean => req.payload?.n === 0;
    const server = (req: Req): Reply => (health(req) ? created(200) : crashes(req) ? badGateway(502) : created(201));
    const w = world(server, { transport: { reachability: { url: '/api/health' } } });
    const [poison] = await w.enqueue('a', 3);
    await w.run(HOUR);
    const op = await w.outbox.get(poison?.id as string);
    expect(op).toMatchObject({ status: 'failed', attempt: 8, lastError: { status: 502 } });
    expect(w.applied).toEqual([
      { lane: 'a', n: 1 },
      { lane: 'a', n: 2 },
    ]);
  });
});

describe('a send that gets no answer', () => {
  it('a poison op that hangs the only lane is a dead letter after its attempts; the ops behind it go out', async () => {
    const w = world((req) => (req.method === 'HEAD' ? created(200) : req.payload?.n === 0 ? 'hang' : created(201)));
    const [poison] = await w.enqueue('default', 4);
    await w.run(HOUR);
    expect(await w.outbox.get(poison?.id as string)).toMatchObject({ status: 'failed', attempt: 8 });
    const reason = (await w.outbox.get(poison?.id as string))?.lastError?.message;
    expect(reason).toMatch(/timeout after 15000 ms \(while https:\/\/app\.example answered/);
    expect(w.applied.map((a) => a.n)).toEqual([1, 2, 3]);
  });

  it('a network error (a cross-origin error without CORS headers) counts when the origin is reachable', async () => {
    const failed = (): TypeError => new TypeError('Failed to fetch');
    const w = world((req) => (req.method === 'HEAD' ? opaque() : req.payload?.n === 0 ? failed() : created(201)));
    const [poison] = await w.enqueue('default', 2);
    await w.run(HOUR);
    expect(await w.outbox.get(poison?.id as string)).toMatchObject({ status: 'failed', attempt: 8 });
    expect(w.applied.map((a) => a.n)).toEqual([1]);
  });

  it.each<[string, (req: Req) => Reply]>([
    ['every request hangs', () => 'hang'],
    ['every request fails to connect', () => new TypeError('Failed to fetch')],
    ['the check meets the proxy: 502', (req) => (req.method === 'HEAD' ? new Response(null, { status: 502 }) : 'hang')],
  ])('an outage where %s parks nothing; checks cost at most one a minute', { timeout: 20_000 }, async (_, server) => {
    let down = true;
    const w = world((req) => (down ? server(req) : created(201)));
    await w.enqueue('default', 3);
    await w.run(2 * HOUR, 3000);
    expect((await w.list()).every((o) => o.status === 'pending' && o.attempt === 0)).toBe(true);
    const heads = w.requests.filter((r) => r.method === 'HEAD').length;
    const sends = w.requests.length - heads;
    expect(heads).toBeGreaterThan(0);
    expect(heads).toBeLessThanOrEqual(2 * 60 + 1);
    expect(heads).toBeLessThan(sends);
    down = false;
    await w.run(10 * 60 * 1000);
    expect(w.applied.map((a) => a.n)).toEqual([0, 1, 2]);
  });
});

describe('hooks that throw', () => {
  it('a headers hook that throws for an hour spends and sends nothing; the op goes once it works', async () => {
    let broken = true;
    const w = world(() => created(201), {
      transport: {
        headers: () => {
          if (broken) throw new Error('token endpoint unreachable');
          return { Authorization: 'Bearer t' };
        },
      },
    });
    await w.enqueue('default', 2);
    await w.run(HOUR);
    const ops = await w.list();
    expect(ops.every((o) => o.status === 'pending' && o.attempt === 0)).toBe(true);
    expect(ops[0]?.lastError?.message).toBe('headers hook failed: token endpoint unreachable');
    expect(w.requests).toEqual([]);
    broken = false;
    await w.run(5 * 60 * 1000);
    expect(w.applied.map((a) => a.n)).toEqual([0, 1]);
  });
});
