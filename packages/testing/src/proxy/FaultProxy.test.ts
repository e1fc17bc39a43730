import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkDelivery } from '../checker/checkDelivery.ts';
import type { Fault } from './faults.ts';
import { FaultProxy } from './FaultProxy.ts';

/** A small deduplicating API: applies each key once, answers 201 and replays that answer to a repeat. */
function startApi(): Promise<{ server: Server; url: string; applied: string[] }> {
  const applied: string[] = [];
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = req.headers['idempotency-key'];
      const body = Buffer.concat(chunks).toString();
      const batch = body.startsWith('{"ops"') ? (JSON.parse(body) as { ops: { idempotencyKey: string }[] }) : null;
      const keys = typeof key === 'string' ? [key] : (batch?.ops.map((o) => o.idempotencyKey) ?? []);
      for (const k of keys) {
        if (seen.has(k)) continue;
        seen.add(k);
        applied.push(k);
      }
      // A batch is answered as Ferry's batch endpoint answers: one result per op.
      res.writeHead(batch === null ? 201 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(batch === null ? { keys } : { results: keys.map(() => ({ status: 201 })) }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, applied }),
    ),
  );
}

let api: Awaited<ReturnType<typeof startApi>>;
let proxy: FaultProxy;
beforeAll(async () => {
  api = await startApi();
  proxy = await FaultProxy.start({ target: api.url });
});
afterEach(() => {
  proxy.reset();
  api.applied.length = 0;
});
afterAll(async () => {
  await proxy.close();
  await new Promise((r) => api.server.close(r));
});

const post = (key: string, timeoutMs = 2000): Promise<Response> =>
  fetch(`${proxy.url}/api/messages?x=1`, {
    method: 'POST',
    headers: { 'Idempotency-Key': key, 'content-type': 'application/json' },
    body: '{"text":"hi"}',
    signal: AbortSignal.timeout(timeoutMs),
  });
const faultFor = (fault: Fault) => (): Fault => fault;

describe('FaultProxy', () => {
  it('passes a request to the API and logs it with the answer the client heard', async () => {
    const res = await post('k1');
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ keys: ['k1'] });
    expect(api.applied).toEqual(['k1']);
    expect(proxy.log).toMatchObject([
      { method: 'POST', path: '/api/messages', key: 'k1', fault: 'pass', outcome: 201, upstreamStatus: 201 },
    ]);
  });

  it('answers a gateway status itself, with its Retry-After, and forwards nothing', async () => {
    proxy.plan = faultFor({ status: 502, headers: { 'Retry-After': '3' }, body: 'Bad Gateway' });
    const res = await post('k2');
    expect([res.status, res.headers.get('retry-after'), await res.text()]).toEqual([502, '3', 'Bad Gateway']);
    expect(api.applied).toEqual([]);
    expect(proxy.log[0]).toMatchObject({ outcome: 502, retryAfterMs: 3000 });
  });

  it("answers 409 + Retry-After: 1 for 'in-progress'", async () => {
    proxy.plan = faultFor('in-progress');
    const res = await post('k3');
    expect([res.status, res.headers.get('retry-after')]).toEqual([409, '1']);
    expect(api.applied).toEqual([]);
  });

  it('resets the connection, or hangs, without forwarding', async () => {
    proxy.plan = faultFor('reset');
    await expect(post('k4')).rejects.toThrow();
    proxy.plan = faultFor('hang');
    await expect(post('k5', 300)).rejects.toThrow(/timeout|aborted/i);
    expect(api.applied).toEqual([]);
    expect(proxy.log.map((r) => r.outcome)).toEqual(['drop', 'hang']);
  });

  it("applies then drops with 'apply-and-drop': the effect happens, the client hears nothing", async () => {
    proxy.plan = faultFor('apply-and-drop');
    await expect(post('k6')).rejects.toThrow();
    expect(api.applied).toEqual(['k6']);
    expect(proxy.log[0]).toMatchObject({ outcome: 'drop', upstreamStatus: 201 });
  });

  it('delays a request by its latency', async () => {
    proxy.plan = faultFor({ latencyMs: 200 });
    const t0 = Date.now();
    expect((await post('k7')).status).toBe(201);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it('plans the ops of a batch one by one: a status fault answers its op in the results and ends the batch', async () => {
    const seen: string[] = [];
    proxy.plan = (req, nth) => {
      seen.push(`${req.key} ${nth} ${req.path} ${JSON.stringify(req.body)}`);
      return req.key === 'b2' && nth === 1 ? { status: 503, headers: { 'Retry-After': '2' } } : 'pass';
    };
    const batch = (...keys: string[]) =>
      fetch(`${proxy.url}/api/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          ops: keys.map((k) => ({ idempotencyKey: k, method: 'POST', target: '/api/m', payload: { k } })),
        }),
      });
    const first = await batch('b1', 'b2', 'b3');
    expect([first.status, await first.json()]).toEqual([
      200,
      { results: [{ status: 201 }, { status: 503, retryAfter: '2' }] },
    ]);
    expect(api.applied).toEqual(['b1']);
    expect((await (await batch('b2', 'b3')).json()) as unknown).toEqual({
      results: [{ status: 201 }, { status: 201 }],
    });
    expect(seen).toEqual([
      'b1 1 /api/m {"k":"b1"}',
      'b2 1 /api/m {"k":"b2"}',
      'b2 2 /api/m {"k":"b2"}',
      'b3 1 /api/m {"k":"b3"}',
    ]);
    expect(proxy.log.map((r) => [r.key, r.batched, r.outcome, r.retryAfterMs])).toEqual([
      ['b1', true, 201, undefined],
      ['b2', true, 503, 2000],
      ['b2', true, 201, undefined],
      ['b3', true, 201, undefined],
    ]);
    expect(api.applied).toEqual(['b1', 'b2', 'b3']);
  });

  it('applies the ops of a batch up to an apply-and-drop, then drops the whole request', async () => {
    proxy.plan = (req) => (req.key === 'd2' ? 'apply-and-drop' : 'pass');
    const ops = ['d1', 'd2', 'd3'].map((k) => ({ idempotencyKey: k, method: 'POST', target: '/api/m' }));
    await expect(fetch(`${proxy.url}/api/batch`, { method: 'POST', body: JSON.stringify({ ops }) })).rejects.toThrow();
    expect(api.applied).toEqual(['d1', 'd2']);
    expect(proxy.log.map((r) => [r.key, r.outcome, r.upstreamStatus])).toEqual([
      ['d1', 'drop', 201],
      ['d2', 'drop', 201],
    ]);
  });

  it('resets every connection while down, counting the requests the plan would see; refuses them when stopped', async () => {
    proxy.down = true;
    await expect(post('o1')).rejects.toThrow();
    await expect(fetch(`${proxy.url}/index.html`)).rejects.toThrow();
    expect([proxy.downRequests, proxy.log.length, api.applied.length]).toEqual([1, 0, 0]);
    proxy.down = false;
    expect((await post('o1')).status).toBe(201);
    await proxy.stop();
    await expect(post('o2')).rejects.toThrow();
    await proxy.resume();
    expect((await post('o2')).status).toBe(201);
    expect(api.applied).toEqual(['o1', 'o2']);
  });

  it('lets the ops of a batch that match does not see pass, unlogged', async () => {
    const only = await FaultProxy.start({
      target: api.url,
      match: (req) => req.key !== 'm1',
      plan: () => 'in-progress',
    });
    try {
      const ops = ['m1', 'm2'].map((k) => ({ idempotencyKey: k, method: 'POST', target: '/api/m' }));
      const res = await fetch(`${only.url}/api/batch`, { method: 'POST', body: JSON.stringify({ ops }) });
      expect(await res.json()).toEqual({ results: [{ status: 201 }, { status: 409, retryAfter: '1' }] });
      expect(only.log.map((r) => [r.key, r.outcome])).toEqual([['m2', 409]]);
    } finally {
      await only.close();
    }
  });

  it('passes requests the plan does not match without logging them', async () => {
    proxy.plan = faultFor('reset');
    const res = await fetch(`${proxy.url}/api/messages`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(201);
    expect(proxy.log).toEqual([]);
  });

  it('answers 502 when the API does not answer at all', async () => {
    const down = await FaultProxy.start({ target: 'http://127.0.0.1:9' });
    try {
      const res = await fetch(`${down.url}/api/x`, { method: 'POST', headers: { 'Idempotency-Key': 'k' } });
      expect(res.status).toBe(502);
      expect(down.log[0]).toMatchObject({ outcome: 502 });
    } finally {
      await down.close();
    }
  });

  it('gives a log checkDelivery reads: a resend after a drop is a duplicate on the wire, not a second effect', async () => {
    proxy.plan = (_req, nth) => (nth === 1 ? 'apply-and-drop' : 'pass');
    await expect(post('k8')).rejects.toThrow();
    expect((await post('k8')).status).toBe(201);
    const report = checkDelivery({
      wire: proxy.log,
      effects: api.applied.map((key) => ({ key })),
      ops: [{ id: 'o', idempotencyKey: 'k8', lane: 'l', seq: 1, status: 'done' }],
      acked: ['o'],
    });
    expect(report).toMatchObject({ ok: true, counts: { duplicatesOnWire: 1, appliedTwice: 0 } });
  });

  it('refuses a target that is not an absolute URL with a typed error', async () => {
    await expect(FaultProxy.start({ target: '/api' })).rejects.toMatchObject({ code: 'invalid-config' });
  });
});
