/** The page's enqueue as an OpenTelemetry span whose traceparent the op carries to the worker. */
import { VirtualClock } from '@ferry/core/testing';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createFerryClient } from './createFerryClient.ts';
import { otel } from './otel.ts';
import type { EnqueueTracer } from './types.ts';
import { channel, fakeWorker } from './testSupport.ts';

/** Answers an enqueueBatch as the host does: the op's id, or a refusal for a target that is not a path. */
const answer = (msg: Record<string, unknown>): unknown => {
  const ops = msg.ops as { id: string; target: string }[];
  const result = ops.map((o) => (o.target.startsWith('/') ? o.id : { code: 'target-not-allowed', message: 'no' }));
  return { v: 1, id: msg.id, ok: true, result };
};

function setup(tracer: EnqueueTracer | undefined) {
  const worker = fakeWorker(answer);
  const clock = new VirtualClock();
  const container = { controller: worker } as unknown as ServiceWorkerContainer;
  const ferry = createFerryClient({
    platform: { serviceWorker: () => container, channel, clock, timers: clock },
    forwardEvents: false,
    ...(tracer && { tracer }),
  });
  const posted = (): Record<string, unknown>[] => worker.received.flatMap((m) => m.ops as Record<string, unknown>[]);
  return { ferry, posted };
}

function traced() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { tracer: otel(provider.getTracer('test')), spans: () => exporter.getFinishedSpans() };
}

describe('with a tracer, enqueue', () => {
  it('is a ferry.enqueue span, ended once the op is durable, whose traceparent the op carries', async () => {
    const t = traced();
    const { ferry, posted } = setup(t.tracer);
    const id = await ferry.enqueue({ kind: 'message.send', target: '/api/m', lane: 'chat', payload: null });
    const [span, ...more] = t.spans();
    expect(more).toEqual([]);
    expect(span?.name).toBe('ferry.enqueue');
    expect(span?.attributes).toEqual({ 'ferry.op.id': id, 'ferry.op.kind': 'message.send', 'ferry.lane': 'chat' });
    const { traceId, spanId } = span?.spanContext() ?? {};
    expect(posted()).toEqual([expect.objectContaining({ id, trace: `00-${traceId}-${spanId}-01` })]);
    await ferry.close();
  });

  it('that is refused ends its span with an error and the code', async () => {
    const t = traced();
    const { ferry } = setup(t.tracer);
    await expect(ferry.enqueue({ kind: 'k', target: 'https://evil.example/', payload: null })).rejects.toMatchObject({
      code: 'target-not-allowed',
    });
    expect(t.spans()[0]?.status).toMatchObject({ code: 2, message: 'no' });
    expect(t.spans()[0]?.attributes['error.type']).toBe('target-not-allowed');
    await ferry.close();
  });

  it('under a tracer that makes no spans sends no trace', async () => {
    const { ferry, posted } = setup(otel(trace.getTracer('no-op: no provider registered')));
    await ferry.enqueue({ kind: 'k', target: '/a', payload: null });
    expect(posted()[0]).not.toHaveProperty('trace');
    await ferry.close();
  });
});

describe('without a tracer, enqueue', () => {
  it('sends no trace', async () => {
    const { ferry, posted } = setup(undefined);
    await ferry.enqueue({ kind: 'k', target: '/a', payload: null });
    expect(posted()).toHaveLength(1);
    expect(posted()[0]).not.toHaveProperty('trace');
    await ferry.close();
  });
});
