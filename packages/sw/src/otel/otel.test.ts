/**
 * The worker's sends as OpenTelemetry spans, over a real Outbox, SyncWorker and HttpTransport on a virtual
 * clock, exported to an in-memory exporter: one span per send, in the op's trace, its `traceparent` on the wire.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { FerryError, MemoryStore } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { createFerryHost } from '../FerryHost.ts';
import { testPlatform } from '../testing/index.ts';
import { batch } from '../batch.ts';
import { ctx, fakeFetch, op, transport, world } from '../http/testSupport.ts';
import { otel } from './index.ts';

const PAGE_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PAGE_SPAN = '00f067aa0ba902b7';

function tracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { tracer: otel(provider.getTracer('test')), spans: (): ReadableSpan[] => exporter.getFinishedSpans() };
}

const unavailable = (): Response => new Response(null, { status: 503, headers: { 'Retry-After': '2' } });

/** The `traceparent` a span's request must carry. */
const header = (s: ReadableSpan): string => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`;

describe('with a tracer, each send of an op', () => {
  it("is a span, child of the op's trace, with its attempt, status, pause and replay, and its traceparent sent", async () => {
    const t = tracing();
    let n = 0;
    const w = world(
      () =>
        ++n <= 2 ? unavailable() : new Response('{}', { status: 201, headers: { 'Idempotent-Replayed': 'true' } }),
      { transport: { tracer: t.tracer } },
    );
    const op = await w.outbox.enqueue({
      kind: 'k',
      target: '/api/x',
      lane: 'chat',
      payload: { lane: 'chat', n: 0 },
      trace: `00-${PAGE_TRACE}-${PAGE_SPAN}-01`,
    });
    await w.run(60_000);
    expect((await w.outbox.get(op.id))?.status).toBe('done');
    const spans = t.spans();
    expect(spans.map((s) => s.name)).toEqual(['ferry.attempt', 'ferry.attempt', 'ferry.attempt']);
    for (const s of spans) {
      expect(s.spanContext().traceId).toBe(PAGE_TRACE);
      expect(s.parentSpanContext?.spanId).toBe(PAGE_SPAN);
    }
    expect(spans.map((s) => s.attributes)).toEqual([
      expect.objectContaining({
        'ferry.op.id': op.id,
        'ferry.lane': 'chat',
        'ferry.attempt': 1,
        'http.response.status_code': 503,
        'ferry.retry_after_ms': 2000,
        'ferry.replayed': false,
        'ferry.outcome': 'retry',
      }),
      expect.objectContaining({ 'ferry.attempt': 2, 'http.response.status_code': 503, 'ferry.retry_after_ms': 2000 }),
      expect.objectContaining({ 'ferry.attempt': 3, 'http.response.status_code': 201, 'ferry.replayed': true }),
    ]);
    expect(spans[2]?.attributes['ferry.retry_after_ms']).toBeUndefined();
    expect(spans.map((s) => s.status.code)).toEqual([2, 2, 0]);
    expect(w.requests.map((r) => r.headers.get('traceparent'))).toEqual(spans.map(header));
  });

  it('of an op enqueued without a trace shares one trace with its other sends, and no other op', async () => {
    const t = tracing();
    let n = 0;
    const w = world((req) => (req.payload?.lane === 'a' && ++n <= 1 ? unavailable() : new Response(null)), {
      transport: { tracer: t.tracer },
    });
    const [a] = await w.enqueue('a', 1);
    const [b] = await w.enqueue('b', 1);
    await w.run(60_000);
    const traceOf = (id: string | undefined): string[] =>
      t
        .spans()
        .filter((s) => s.attributes['ferry.op.id'] === id)
        .map((s) => s.spanContext().traceId);
    const [ta, tb] = [traceOf(a?.id), traceOf(b?.id)];
    expect(ta).toHaveLength(2);
    expect(new Set(ta).size).toBe(1);
    expect(tb).toHaveLength(1);
    expect(tb[0]).not.toBe(ta[0]);
    expect(ta[0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it('in a batch is one span naming every op, in the first op’s trace, linked to the others', async () => {
    const t = tracing();
    const answer = JSON.stringify({ results: [{ status: 201 }, { status: 201 }] });
    const fetch = fakeFetch(new Response(answer, { headers: { 'Content-Type': 'application/json' } }));
    const http = transport(fetch, { tracer: t.tracer, batch: batch({ target: '/api/batch' }) });
    const ops = ['1', '2'].map((d) => op({ id: `op${d}`, trace: `00-${d.repeat(32)}-${d.repeat(16)}-01` }));
    expect(await http.sendBatch?.(ops, ctx())).toMatchObject([{ ok: true }, { ok: true }]);
    const [span, ...others] = t.spans();
    expect(others).toEqual([]);
    expect(span?.attributes).toMatchObject({ 'ferry.op.ids': ['op1', 'op2'], 'ferry.item.status_codes': [201, 201] });
    expect(span?.spanContext().traceId).toBe('1'.repeat(32));
    expect(span?.parentSpanContext?.spanId).toBe('1'.repeat(16));
    expect(span?.links.map((l) => l.context.spanId)).toEqual(['2'.repeat(16)]);
    expect(new Headers(fetch.calls[0]?.init.headers).get('traceparent')).toBe(header(span as ReadableSpan));
  });
});

describe('without a tracer', () => {
  it('no request carries a traceparent', async () => {
    const w = world(() => new Response(null));
    await w.outbox.enqueue({ kind: 'k', target: '/api/x', payload: null, trace: `00-${PAGE_TRACE}-${PAGE_SPAN}-01` });
    await w.run(10_000);
    expect(w.requests).toHaveLength(1);
    expect(w.requests[0]?.headers.has('traceparent')).toBe(false);
  });
});

describe("the host's tracer option", () => {
  const host = (options: Parameters<typeof createFerryHost>[0]) =>
    createFerryHost({ storage: { store: async () => new MemoryStore() }, platform: testPlatform(), ...options });
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      return err instanceof FerryError ? `${err.code}: ${err.message}` : String(err);
    }
    return undefined;
  };

  it('is refused when it is not a function, or with a custom transport', () => {
    expect(code(() => host({ tracer: {} as never }))).toMatch(/^invalid-config: tracer must be a function/);
    const custom = { send: async () => ({ ok: true as const }) };
    expect(code(() => host({ tracer: tracing().tracer, transport: custom }))).toMatch(
      /^invalid-config: tracer needs the HTTP transport/,
    );
  });
});
