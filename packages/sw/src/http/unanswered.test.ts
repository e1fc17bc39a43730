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
const created = (status: number): Response => new Response('{}', { status, headers: { 'Content-Type': 'application/json' } });

describe('a gateway answer is not the app answer', () => {
  it.each([502, 503, 504])('two hours of %i from a proxy park nothing; then every op arrives, in order', async (status) => {
    let down = true;
    const w = world(() => (down ? new Response('<html>Bad Gateway</html>', { status, headers: { 'Content-Type': 'text/html' } }) : created(201)));
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
    const w = world(() => (down ? new Response(null, { status: 503, headers: { 'Retry-After': '120' } }) : created(201)));
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

  it('a request that crashes the app behind a proxy ends as a dead letter while the app answers its health URL', async () => {
    const w = world((req) => (req.url.endsWith('/api/health') ? created(200) : req.payload?.n === 0 ? new Response(null, { status: 502 }) : created(201)), {
      transport: { reachability: { url: '/api/health' } },
    });
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
  it('a poison op that hangs the only lane becomes a dead letter after its attempts; the ops behind it go out', async () => {
    const w = world((req) => (req.method === 'HEAD' ? new Response(null, { status: 200 }) : req.payload?.n === 0 ? 'hang' : created(201)));
    const [poison] = await w.enqueue('default', 4);
    await w.run(HOUR);
    expect(await w.outbox.get(poison?.id as string)).toMatchObject({ status: 'failed', attempt: 8 });
    expect((await w.outbox.get(poison?.id as string))?.lastError?.message).toMatch(/timeout after 15000 ms \(while https:\/\/app\.example answered/);
    expect(w.applied.map((a) => a.n)).toEqual([1, 2, 3]);
  });

  it('a cross-origin gateway error without CORS headers (a network error) counts the same way when the origin is reachable', async () => {
    const w = world((req) => (req.method === 'HEAD' ? opaque() : req.payload?.n === 0 ? new TypeError('Failed to fetch') : created(201)));
    const [poison] = await w.enqueue('default', 2);
    await w.run(HOUR);
    expect(await w.outbox.get(poison?.id as string)).toMatchObject({ status: 'failed', attempt: 8 });
    expect(w.applied.map((a) => a.n)).toEqual([1]);
  });

  it.each<[string, (req: Req) => Reply]>([
    ['every request hangs', () => 'hang'],
    ['every request fails to connect', () => new TypeError('Failed to fetch')],
    ['the check meets the proxy: 502', (req) => (req.method === 'HEAD' ? new Response(null, { status: 502 }) : 'hang')],
  ])('an outage where %s parks nothing, and the checks cost at most one per minute', { timeout: 20_000 }, async (_, server) => {
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
  it('a headers hook that throws for an hour spends nothing, sends nothing, and the op goes once it works', async () => {
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
