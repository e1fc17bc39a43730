/** The server half continues the op's trace: a server span child of the request's traceparent, handler spans in it. */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from './createHandler.ts';
import { MemoryIdempotencyStore } from './MemoryIdempotencyStore.ts';
import { traced } from './otel.ts';
import { json, post } from './testSupport.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SEND = '00f067aa0ba902b7';
const manager = new AsyncLocalStorageContextManager();
beforeAll(() => void context.setGlobalContextManager(manager.enable()));
afterAll(() => {
  manager.disable();
  context.disable();
});

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('test');
  const handler = createHandler({
    store: new MemoryIdempotencyStore(),
    singleScope: 'tests',
    // The app's own span, and a "query" after an await, as a database driver's instrumentation would make.
    handler: async () => {
      await tracer.startActiveSpan('app.handle', async (span) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        tracer.startSpan('pg.query').end();
        span.end();
      });
      return json(201, { ok: true });
    },
  });
  const spans = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);
  return { serve: traced(handler, { tracer }), spans };
}

describe('traced(handler)', () => {
  it("is a server span, child of the request's traceparent, around the layer and the handler, whose spans nest in it", async () => {
    const { serve, spans } = setup();
    const headers = { traceparent: `00-${TRACE}-${SEND}-01` };
    expect((await serve(post({ text: 'hi' }, 'k1', headers))).status).toBe(201);
    const replay = await serve(post({ text: 'hi' }, 'k1', headers));
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const [first, second] = spans('ferry.server.handle');
    for (const s of [first, second]) {
      expect(s?.spanContext().traceId).toBe(TRACE);
      expect(s?.parentSpanContext?.spanId).toBe(SEND);
      expect(s?.kind).toBe(1);
    }
    expect(first?.attributes).toEqual({
      'http.request.method': 'POST',
      'url.path': '/api/messages',
      'ferry.idempotency_key': 'k1',
      'http.response.status_code': 201,
      'ferry.replayed': false,
    });
    expect(second?.attributes).toMatchObject({ 'http.response.status_code': 201, 'ferry.replayed': true });
    // The replay ran no handler: one app span, one query, nested under the first server span.
    const [app, query] = [spans('app.handle'), spans('pg.query')];
    expect(app).toHaveLength(1);
    expect(app[0]?.parentSpanContext?.spanId).toBe(first?.spanContext().spanId);
    expect(query[0]?.parentSpanContext?.spanId).toBe(app[0]?.spanContext().spanId);
    expect(query[0]?.spanContext().traceId).toBe(TRACE);
  });

  it('continues the active span instead, when an HTTP instrumentation already made one', async () => {
    const { serve, spans } = setup();
    const http = new BasicTracerProvider().getTracer('http').startSpan('POST /api/messages');
    await context.with(trace.setSpan(context.active(), http), () =>
      serve(post({}, 'k2', { traceparent: `00-${TRACE}-${SEND}-01` })),
    );
    const [span] = spans('ferry.server.handle');
    expect(span?.parentSpanContext?.spanId).toBe(http.spanContext().spanId);
    expect(span?.spanContext().traceId).toBe(http.spanContext().traceId);
  });

  it('starts a trace of its own without a traceparent, and marks a 5xx as an error', async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('t');
    const serve = traced(() => new Response(null, { status: 503 }), { tracer });
    await serve(post({}, 'k3', { traceparent: 'not a traceparent' }));
    const [span] = exporter.getFinishedSpans();
    expect(span?.parentSpanContext).toBeUndefined();
    expect(span?.status.code).toBe(2);
    expect(span?.attributes['http.response.status_code']).toBe(503);
  });
});
