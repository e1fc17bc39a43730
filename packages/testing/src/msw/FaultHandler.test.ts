import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkDelivery } from '../checker/checkDelivery.ts';
import type { Fault } from '../proxy/faults.ts';
import { randomFaults } from '../proxy/faults.ts';
import { FaultHandler } from './FaultHandler.ts';

/** A fake deduplicating API: applies each key once, answers 201 and replays that answer to a repeat. */
const applied: string[] = [];
const seen = new Set<string>();
const api = [
  http.post('http://api.test/api/*', async ({ request }) => {
    const key = request.headers.get('idempotency-key');
    const body = (await request.json()) as { ops?: { idempotencyKey: string }[] };
    const keys = key !== null ? [key] : (body.ops?.map((o) => o.idempotencyKey) ?? []);
    for (const k of keys) {
      if (seen.has(k)) continue;
      seen.add(k);
      applied.push(k);
    }
    // A batch is answered as Ferry's batch endpoint answers: one result per op.
    if (body.ops !== undefined) return HttpResponse.json({ results: keys.map(() => ({ status: 201 })) });
    return HttpResponse.json({ keys }, { status: 201 });
  }),
];

const faults = new FaultHandler({ api });
const server = setupServer(faults.handler);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  faults.reset();
  faults.plan = () => 'pass';
  applied.length = 0;
  seen.clear();
});
afterAll(() => server.close());

const post = (key: string, timeoutMs = 2000): Promise<Response> =>
  fetch('http://api.test/api/messages', {
    method: 'POST',
    headers: { 'Idempotency-Key': key, 'content-type': 'application/json' },
    body: '{"text":"hi"}',
    signal: AbortSignal.timeout(timeoutMs),
  });
const always = (fault: Fault) => (): Fault => fault;

describe('FaultHandler (msw/node)', () => {
  it('passes a request to the fake API and logs it with the answer the client heard', async () => {
    const res = await post('k1');
    expect([res.status, await res.json()]).toEqual([201, { keys: ['k1'] }]);
    expect(applied).toEqual(['k1']);
    expect(faults.log).toMatchObject([
      { method: 'POST', path: '/api/messages', key: 'k1', body: { text: 'hi' }, outcome: 201, upstreamStatus: 201 },
    ]);
  });

  it("answers a status fault, or 'in-progress', itself, with its Retry-After, and applies nothing", async () => {
    faults.plan = always({ status: 429, headers: { 'Retry-After': '2' }, body: 'slow down' });
    const res = await post('k2');
    expect([res.status, res.headers.get('retry-after'), await res.text()]).toEqual([429, '2', 'slow down']);
    faults.plan = always('in-progress');
    expect((await post('k2')).status).toBe(409);
    expect(applied).toEqual([]);
    expect(faults.log.map((r) => [r.outcome, r.retryAfterMs])).toEqual([
      [429, 2000],
      [409, 1000],
    ]);
  });

  it('fails a reset with a network error, and a hang at the client’s timeout, applying nothing', async () => {
    faults.plan = always('reset');
    await expect(post('k3')).rejects.toThrow(TypeError);
    faults.plan = always('hang');
    await expect(post('k4', 300)).rejects.toThrow(/timeout|aborted/i);
    expect(applied).toEqual([]);
    expect(faults.log.map((r) => r.outcome)).toEqual(['drop', 'hang']);
  });

  it("applies then fails with a network error for 'apply-and-drop'", async () => {
    faults.plan = always('apply-and-drop');
    await expect(post('k5')).rejects.toThrow(TypeError);
    expect(applied).toEqual(['k5']);
    expect(faults.log[0]).toMatchObject({ outcome: 'drop', upstreamStatus: 201 });
    expect(faults.log[0]?.answeredAt).toBeUndefined();
  });

  it('delays a request by its latency', async () => {
    faults.plan = always({ latencyMs: 200 });
    const t0 = Date.now();
    expect((await post('k6')).status).toBe(201);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it('plans the ops of a batch one by one, as FaultProxy does', async () => {
    faults.plan = (req, nth) => (req.key === 'b2' && nth === 1 ? 'in-progress' : 'pass');
    const batch = (...keys: string[]): Promise<Response> =>
      fetch('http://api.test/api/batch', {
        method: 'POST',
        body: JSON.stringify({ ops: keys.map((k) => ({ idempotencyKey: k, method: 'POST', target: '/api/m' })) }),
      });
    expect(await (await batch('b1', 'b2', 'b3')).json()).toEqual({
      results: [{ status: 201 }, { status: 409, retryAfter: '1' }],
    });
    expect(await (await batch('b2', 'b3')).json()).toEqual({ results: [{ status: 201 }, { status: 201 }] });
    expect(faults.log.map((r) => [r.key, r.batched, r.path, r.outcome])).toEqual([
      ['b1', true, '/api/m', 201],
      ['b2', true, '/api/m', 409],
      ['b2', true, '/api/m', 201],
      ['b3', true, '/api/m', 201],
    ]);
    expect(applied).toEqual(['b1', 'b2', 'b3']);
  });

  it('lets requests the plan does not see through to the API, unlogged', async () => {
    faults.plan = always('reset');
    const res = await fetch('http://api.test/api/plain', { method: 'POST', body: '{}' });
    expect(res.status).toBe(201);
    expect(faults.log).toEqual([]);
  });

  it('gives the same seeded faults as FaultProxy and a log checkDelivery reads', async () => {
    const seed = 7;
    // Retry-After: 0, since this client resends at once.
    const options = { seed, rates: { unavailable: 0.3, applyAndDrop: 0.3 }, maxPerKey: 2, retryAfterSeconds: 0 };
    faults.plan = randomFaults(options);
    const expected = randomFaults(options);
    const keys = ['s1', 's2', 's3', 's4', 's5', 's6'];
    for (const key of keys) {
      for (let nth = 1; ; nth++) {
        const fault = expected({ method: 'POST', path: '/api/messages', key, headers: {}, body: { text: 'hi' } }, nth);
        const res = await post(key).catch(() => undefined);
        expect(res?.status).toBe(fault === 'pass' ? 201 : typeof fault === 'object' ? 503 : undefined);
        if (res?.status === 201) break;
      }
    }
    expect(new Set(faults.log.map((r) => String(r.outcome)))).toEqual(new Set(['201', '503', 'drop']));
    const ops = keys.map((key, i) => ({ id: key, idempotencyKey: key, lane: 'l', seq: i, status: 'done' }));
    const report = checkDelivery({ wire: faults.log, effects: applied.map((key) => ({ key })), ops, acked: keys });
    expect(report.problems).toEqual([]);
    expect(report.counts.duplicatesOnWire).toBeGreaterThan(0);
  });
});
