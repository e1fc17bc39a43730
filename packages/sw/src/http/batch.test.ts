import type { Operation } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { ORIGIN, ctx, fakeFetch, op, transport } from './testSupport.ts';
import type { FetchLike } from './HttpTransport.ts';
import { HttpTransport } from './HttpTransport.ts';
import { batch as batchMode } from './batch.ts';

describe('HttpTransport batch mode', () => {
  const batch = (fetch: FetchLike, more: ConstructorParameters<typeof HttpTransport>[0] = {}): HttpTransport =>
    transport(fetch, { batch: batchMode({ target: '/api/batch' }), ...more });
  const ops = [
    op({ id: 'a', idempotencyKey: 'ka' }),
    op({ id: 'b', idempotencyKey: 'kb', payload: { text: 'two' } }),
    op({ id: 'c', idempotencyKey: 'kc' }),
  ];
  const answer = (results: unknown, status = 200): Response => new Response(JSON.stringify({ results }), { status });

  it("keeps each item's own body with its answer", async () => {
    const f = fakeFetch(answer([{ status: 201, body: { message: { seq: 1 } } }, { status: 200 }]));
    const r = await batch(f).sendBatch?.(ops.slice(0, 2), ctx());
    expect(r?.map((x) => x.answer)).toEqual([{ status: 201, body: { message: { seq: 1 } } }, { status: 200 }]);
  });

  it('exists only with batch mode', () => {
    expect(transport(fakeFetch()).sendBatch).toBeUndefined();
    expect(typeof batch(fakeFetch()).sendBatch).toBe('function');
  });

  it('posts the ops, each with its own key and intent and nothing else, and reads a result per op', async () => {
    const f = fakeFetch(answer([{ status: 201 }, { status: 200 }, { status: 201 }]));
    const r = await batch(f).sendBatch?.(ops, ctx());
    expect(r).toEqual([
      { ok: true, status: 201, answer: { status: 201 } },
      { ok: true, status: 200, answer: { status: 200 } },
      { ok: true, status: 201, answer: { status: 201 } },
    ]);
    const [call] = f.calls;
    expect(call?.url).toBe(`${ORIGIN}/api/batch`);
    expect(call?.init.method).toBe('POST');
    const h = new Headers(call?.init.headers);
    expect(h.get('content-type')).toBe('application/json');
    expect(h.has('idempotency-key')).toBe(false);
    expect(JSON.parse(call?.init.body as string)).toEqual({
      ops: ops.map((o) => ({
        id: o.id,
        kind: o.kind,
        target: o.target,
        method: o.method,
        idempotencyKey: o.idempotencyKey,
        payload: o.payload,
      })),
    });
  });

  it('classifies each item as a single send would, with its reason and Retry-After; a short answer leaves the rest unattempted', async () => {
    const f = fakeFetch(answer([{ status: 201 }, { status: 503, error: 'busy\nnow', retryAfter: 3 }]));
    const r = await batch(f).sendBatch?.(ops, ctx());
    expect(r).toEqual([
      { ok: true, status: 201, answer: { status: 201 } },
      // The batch endpoint's own 2xx shows the app is up: an item's 503 is the app's answer, and counts.
      {
        ok: false,
        retryable: true,
        status: 503,
        error: `HTTP 503: busy now (while ${ORIGIN} answered other requests)`,
        retryAfterMs: 3000,
      },
    ]);
    const permanent = await batch(fakeFetch(answer([{ status: 422, error: 'text is required' }]))).sendBatch?.(
      ops,
      ctx(),
    );
    const refusal = {
      ok: false,
      retryable: false,
      status: 422,
      error: 'HTTP 422: text is required',
      answer: { status: 422 },
    };
    expect(permanent).toEqual([refusal]);
  });

  it("a failed exchange is the first op's failure: network error, 5xx with its Retry-After, 4xx with its reason", async () => {
    expect(await batch(fakeFetch(new TypeError('Failed to fetch'))).sendBatch?.(ops, ctx())).toMatchObject([
      { ok: false, retryable: true, error: 'network error: Failed to fetch' },
    ]);
    const busy = new Response(null, { status: 429, headers: { 'Retry-After': '2' } });
    expect(await batch(fakeFetch(busy)).sendBatch?.(ops, ctx())).toEqual([
      { ok: false, retryable: true, status: 429, error: 'HTTP 429', retryAfterMs: 2000 },
    ]);
    const missing = new Response(JSON.stringify({ error: 'no such route' }), { status: 404 });
    expect(await batch(fakeFetch(missing)).sendBatch?.(ops, ctx())).toEqual([
      {
        ok: false,
        retryable: false,
        status: 404,
        error: 'HTTP 404: no such route',
        answer: { status: 404, body: '{"error":"no such route"}' },
      },
    ]);
  });

  it('an answer it cannot read is a retryable failure of the first op (the server may have applied them: keys make the resend safe)', async () => {
    for (const body of ['not json', '{"results":"nope"}', 'null']) {
      const [r, ...rest] = (await batch(fakeFetch(new Response(body, { status: 200 }))).sendBatch?.(ops, ctx())) ?? [];
      expect(r).toMatchObject({ ok: false, retryable: true, status: 200 });
      expect(rest).toEqual([]);
    }
    const bad = await batch(fakeFetch(answer([{ status: 201 }, { status: 'x' }, {}]))).sendBatch?.(ops, ctx());
    expect(bad).toMatchObject([
      { ok: true },
      { ok: false, retryable: true, error: 'batch answer item without a valid status' },
      { ok: false, retryable: true },
    ]);
    const long = await batch(
      fakeFetch(answer([{ status: 201 }, { status: 201 }, { status: 201 }, { status: 201 }])),
    ).sendBatch?.(ops, ctx());
    expect(long).toHaveLength(3);
  });

  it('an answer that stalls mid-body or never ends cannot hold the send: a retryable failure within the timeout', async () => {
    const stalled = new ReadableStream({
      start: (c) => c.enqueue(new TextEncoder().encode('{"results":[{"status":201}')),
    });
    const started = Date.now();
    const [r] =
      (await batch(fakeFetch(new Response(stalled, { status: 200 })), { timeoutMs: 50 }).sendBatch?.(ops, ctx())) ?? [];
    expect(r).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/cut short/) });
    expect(Date.now() - started).toBeLessThan(1000);
    const huge = new Response(`{"results":[${'{"status":201},'.repeat(30_000)}{"status":201}]}`, { status: 200 });
    expect(await batch(fakeFetch(huge)).sendBatch?.(ops, ctx())).toMatchObject([{ ok: false, retryable: true }]);
  });

  it('an op whose target is not allowed ends the batch before it, and fails alone when it comes first', async () => {
    const evil = op({ id: 'x', target: 'https://evil.example/steal' });
    const f = fakeFetch(answer([{ status: 201 }]));
    expect(await batch(f).sendBatch?.([ops[0] as Operation, evil, ops[1] as Operation], ctx())).toEqual([
      { ok: true, status: 201, answer: { status: 201 } },
    ]);
    expect(JSON.parse(f.calls[0]?.init.body as string).ops.map((o: { id: string }) => o.id)).toEqual(['a']);
    const alone = await batch(fakeFetch()).sendBatch?.([evil, ops[0] as Operation], ctx());
    expect(alone).toMatchObject([{ ok: false, retryable: false, error: expect.stringMatching(/target-not-allowed/) }]);
    const misconfigured = await transport(fakeFetch(), {
      batch: batchMode({ target: 'https://elsewhere.example/batch' }),
    }).sendBatch?.(ops, ctx());
    expect(misconfigured).toMatchObject([
      { ok: false, retryable: false, error: expect.stringMatching(/^batchTarget: target-not-allowed/) },
    ]);
  });

  it('asks the hooks with the first op: auth headers at send time, one refresh on 401', async () => {
    const seen: string[] = [];
    const f = fakeFetch(
      new Response(null, { status: 401 }),
      answer([{ status: 201 }, { status: 201 }, { status: 201 }]),
    );
    let token = 'old';
    const t = batch(f, {
      headers: (o) => (seen.push(o.id), { Authorization: `Bearer ${token}` }),
      onUnauthorized: async () => ((token = 'new'), true),
    });
    expect(await t.sendBatch?.(ops, ctx())).toHaveLength(3);
    expect(seen).toEqual(['a', 'a']);
    expect(f.calls.map((c) => new Headers(c.init.headers).get('authorization'))).toEqual(['Bearer old', 'Bearer new']);
  });
});

describe('HttpTransport: the server answer', () => {
  it('keeps the status, a JSON or text body within the cap, and the headers the app named', async () => {
    const json = new Response(JSON.stringify({ message: { seq: 7 } }), {
      status: 201,
      headers: { 'Content-Type': 'application/json', Location: '/m/7', 'X-Other': 'x' },
    });
    const r = await transport(fakeFetch(json), { keepHeaders: ['Location'] }).send(op(), ctx());
    expect(r).toEqual({
      ok: true,
      status: 201,
      answer: { status: 201, body: { message: { seq: 7 } }, headers: { location: '/m/7' } },
    });
    const big = new Response(JSON.stringify({ pad: 'x'.repeat(100) }), {
      status: 200,
      headers: { 'Content-Type': 'application/json' },
    });
    expect((await transport(fakeFetch(big), { maxAnswerBytes: 50 }).send(op(), ctx())).answer).toEqual({
      status: 200,
      truncated: true,
    });
    const binary = new Response(new Uint8Array([1, 2, 3]), {
      status: 200,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect((await transport(fakeFetch(binary)).send(op(), ctx())).answer).toEqual({ status: 200 });
    expect((await transport(fakeFetch(new Response(null, { status: 204 }))).send(op(), ctx())).answer).toEqual({
      status: 204,
    });
  });
});
