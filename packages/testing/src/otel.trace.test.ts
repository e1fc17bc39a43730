/**
 * One trace per op, end to end in Node: the page client (its enqueue in a click's span), the worker's host
 * sending over real HTTP, and `@ferry/server` behind `traced`, each exporting its spans with the OTLP/HTTP
 * JSON exporter to an in-process collector. For each op the collector holds one trace: click → enqueue →
 * one span per attempt (503s included) → the server's span → the app handler's.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFerryClient } from '@ferry/client';
import { otel as clientOtel } from '@ferry/client/otel';
import { MemoryStore } from '@ferry/core';
import { MemoryIdempotencyStore, createHandler } from '@ferry/server';
import { toNodeListener } from '@ferry/server/node';
import { traced } from '@ferry/server/otel';
import { createFerryHost } from '@ferry/sw';
import { otel as workerOtel } from '@ferry/sw/otel';
import { testPlatform } from '@ferry/sw/testing';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, it } from 'vitest';

/** A span as the collector decoded it from OTLP JSON. */
interface Collected {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  status: number;
  attributes: Record<string, unknown>;
}

type AnyValue = {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
};
const valueOf = (v: AnyValue): unknown =>
  v.stringValue ??
  (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.arrayValue?.values?.map(valueOf)));

/** An OTLP/HTTP collector on a loopback port: decodes `POST /v1/traces` (JSON) into `spans`. */
async function collector() {
  const spans: Collected[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      type Span = { traceId: string; spanId: string; parentSpanId?: string; name: string; status?: { code?: number } };
      type Batch = {
        resourceSpans?: { scopeSpans?: { spans?: (Span & { attributes?: { key: string; value: AnyValue }[] })[] }[] }[];
      };
      const batch = JSON.parse(body) as Batch;
      for (const s of (batch.resourceSpans ?? []).flatMap((r) => r.scopeSpans ?? []).flatMap((x) => x.spans ?? []))
        spans.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          status: s.status?.code ?? 0,
          attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, valueOf(a.value)])),
        });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, spans, server };
}

const manager = new AsyncLocalStorageContextManager();
beforeAll(() => void context.setGlobalContextManager(manager.enable()));
afterAll(() => {
  manager.disable();
  context.disable();
});

it('each op is one trace: click → enqueue → every attempt → server → handler, with their attributes', async () => {
  const otlp = await collector();
  const provider = () =>
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: otlp.url }))] });
  const [page, worker, api] = [provider(), provider(), provider()];

  // The API: the first two sends of "flaky" get a 503 (the first with Retry-After), then it is applied.
  const apiTracer = api.getTracer('app');
  const seen = new Map<string, number>();
  const handler = createHandler({
    store: new MemoryIdempotencyStore(),
    singleScope: 'tests',
    handler: async (req) => {
      const { text } = (await req.json()) as { text: string };
      const n = (seen.get(text) ?? 0) + 1;
      seen.set(text, n);
      if (text === 'flaky' && n === 1) return new Response(null, { status: 503, headers: { 'Retry-After': '1' } });
      if (text === 'flaky' && n === 2) return new Response(null, { status: 503 });
      apiTracer.startSpan('app.insert').end();
      return Response.json({ ok: true }, { status: 201 });
    },
  });
  const app = createServer(toNodeListener(traced(handler, { tracer: api.getTracer('@ferry/server') })));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;

  const host = createFerryHost({
    storage: { store: async () => new MemoryStore() },
    retry: { baseDelayMs: 20, maxDelayMs: 100, jitter: false },
    tracer: workerOtel(worker.getTracer('@ferry/sw')),
    platform: testPlatform({ origin: () => origin }),
  });
  const container = {
    controller: {
      postMessage: (msg: unknown, transfer: Transferable[]) => void host.receive(msg, transfer[0] as MessagePort),
    },
  } as unknown as ServiceWorkerContainer;
  const ferry = createFerryClient({
    platform: { serviceWorker: () => container, channel: () => Object.assign(new EventTarget(), { close() {} }) },
    forwardEvents: false,
    tracer: clientOtel(page.getTracer('@ferry/client')),
  });

  const pageTracer = page.getTracer('app');
  const click = (text: string): Promise<string> =>
    pageTracer.startActiveSpan('ui.send', async (span) => {
      const id = await ferry.enqueue({ kind: 'message.send', target: '/api/messages', lane: text, payload: { text } });
      span.end();
      return id;
    });
  const [flaky, steady] = [await click('flaky'), await click('steady')];
  for (let waited = 0; ; waited += 50) {
    const ops = await Promise.all([ferry.get(flaky), ferry.get(steady)]);
    if (ops.every((op) => op?.status === 'done')) break;
    if (waited > 15_000) throw new Error(`not delivered: ${JSON.stringify(ops.map((op) => op?.status))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await Promise.all([page, worker, api].map((p) => p.forceFlush()));

  expect(new Set(otlp.spans.map((s) => s.traceId)).size).toBe(2);
  const traceOf = (id: string): Collected[] => {
    const enqueue = otlp.spans.find((s) => s.name === 'ferry.enqueue' && s.attributes['ferry.op.id'] === id);
    return otlp.spans.filter((s) => s.traceId === enqueue?.traceId);
  };
  for (const [id, statuses] of [
    [flaky, [503, 503, 201]],
    [steady, [201]],
  ] as const) {
    const spans = traceOf(id);
    const one = (name: string, parent?: Collected): Collected => {
      const found = spans.filter((s) => s.name === name && (!parent || s.parentSpanId === parent.spanId));
      expect(found, name).toHaveLength(1);
      return found[0] as Collected;
    };
    const root = one('ui.send');
    expect(root.parentSpanId).toBe('');
    const enqueue = one('ferry.enqueue', root);
    const attempts = spans.filter((s) => s.name === 'ferry.attempt');
    expect(attempts.every((a) => a.parentSpanId === enqueue.spanId)).toBe(true);
    attempts.sort((a, b) => Number(a.attributes['ferry.attempt']) - Number(b.attributes['ferry.attempt']));
    expect(attempts.map((a) => a.attributes['http.response.status_code'])).toEqual(statuses);
    expect(attempts.map((a) => a.attributes['ferry.attempt'])).toEqual(statuses.map((_, i) => i + 1));
    expect(attempts.map((a) => a.status)).toEqual(statuses.map((s) => (s === 201 ? 0 : 2)));
    for (const a of attempts) {
      expect(a.attributes).toMatchObject({ 'ferry.op.id': id, 'ferry.lane': id === flaky ? 'flaky' : 'steady' });
      expect(a.attributes['ferry.replayed']).toBe(false);
      const server = one('ferry.server.handle', a);
      expect(server.attributes['http.response.status_code']).toBe(a.attributes['http.response.status_code']);
      expect(server.attributes['ferry.idempotency_key']).toEqual(expect.any(String));
    }
    expect(attempts[0]?.attributes['ferry.retry_after_ms']).toBe(id === flaky ? 1000 : undefined);
    const applied = attempts.at(-1) as Collected;
    one('app.insert', one('ferry.server.handle', applied));
    // Nothing else in the trace: the click, the enqueue, each attempt and its server span, one app span.
    expect(spans).toHaveLength(3 + 2 * attempts.length);
  }

  await ferry.close();
  await host.close();
  await Promise.all([page, worker, api].map((p) => p.shutdown()));
  for (const s of [app, otlp.server]) await new Promise((resolve) => s.close(resolve));
});
