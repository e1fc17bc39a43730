import type { Operation } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import type { FetchLike } from './HttpTransport.ts';
import { HttpTransport } from './HttpTransport.ts';

const ORIGIN = 'https://app.example';

function op(over: Partial<Operation> = {}): Operation {
  return {
    id: 'op1',
    kind: 'message.send',
    target: '/api/messages',
    method: 'POST',
    payload: { text: 'hello' },
    lane: 'default',
    idempotencyKey: 'key-1',
    status: 'inflight',
    seq: 1,
    attempt: 0,
    nextAttemptAt: 0,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  };
}

interface Call {
  url: string;
  init: RequestInit;
}

/** A fetch answering from a list of responses (or errors), recording each call. */
function fakeFetch(...answers: (Response | Error | 'hang')[]): FetchLike & { calls: Call[] } {
  const calls: Call[] = [];
  const f = (url: string, init: RequestInit): Promise<Response> => {
    calls.push({ url, init });
    const a = answers.shift() ?? new Response(null, { status: 200 });
    if (a === 'hang') {
      return new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    }
    return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
  };
  return Object.assign(f, { calls });
}

const ctx = (): { signal: AbortSignal } => ({ signal: new AbortController().signal });
const transport = (fetch: FetchLike, more: ConstructorParameters<typeof HttpTransport>[0] = {}): HttpTransport =>
  new HttpTransport({ fetch, origin: () => ORIGIN, reachability: false, ...more });

describe('HttpTransport request', () => {
  it('sends JSON with Content-Type and Idempotency-Key to the target on the origin', async () => {
    const f = fakeFetch(new Response('{}', { status: 201 }));
    const r = await transport(f).send(op(), ctx());
    expect(r).toEqual({ ok: true, status: 201, answer: { status: 201, body: '{}' } });
    const [call] = f.calls;
    expect(call?.url).toBe(`${ORIGIN}/api/messages`);
    expect(call?.init.method).toBe('POST');
    expect(call?.init.body).toBe('{"text":"hello"}');
    const h = new Headers(call?.init.headers);
    expect(h.get('content-type')).toBe('application/json');
    expect(h.get('idempotency-key')).toBe('key-1');
    expect(call?.init.redirect).toBe('manual');
  });

  it('sends no body and no Content-Type for DELETE', async () => {
    const f = fakeFetch(new Response(null, { status: 204 }));
    expect((await transport(f).send(op({ method: 'DELETE', target: '/api/messages/1' }), ctx())).ok).toBe(true);
    expect(f.calls[0]?.init.body).toBeUndefined();
    expect(new Headers(f.calls[0]?.init.headers).has('content-type')).toBe(false);
  });
});

describe('HttpTransport status classification', () => {
  it.each([200, 201, 204, 299])('%i is ok', async (status) => {
    expect((await transport(fakeFetch(new Response(null, { status }))).send(op(), ctx())).ok).toBe(true);
  });

  it.each([408, 425, 429, 500])('%i is retryable', async (status) => {
    const r = await transport(fakeFetch(new Response(null, { status }))).send(op(), ctx());
    expect(r).toMatchObject({ ok: false, retryable: true, status });
    expect(r.free).toBeUndefined();
  });

  it.each([502, 503, 504])("%i is a gateway's answer: retryable, free while the origin answers nothing else", async (status) => {
    const r = await transport(fakeFetch(new Response(null, { status }))).send(op(), ctx());
    expect(r).toMatchObject({ ok: false, retryable: true, free: true, status });
  });

  it.each([400, 404, 410, 413, 422])('%i is permanent', async (status) => {
    const r = await transport(fakeFetch(new Response(null, { status }))).send(op(), ctx());
    expect(r).toMatchObject({ ok: false, retryable: false, status });
  });

  it('409 to a keyed send is "still in progress" when it says so: free, after its Retry-After or a second', async () => {
    const r = await transport(fakeFetch(new Response(null, { status: 409, headers: { 'Retry-After': '3' } }))).send(op(), ctx());
    expect(r).toMatchObject({ ok: false, retryable: true, free: true, status: 409, retryAfterMs: 3000 });
    const typed = new Response(JSON.stringify({ type: 'about:blank', code: 'idempotency-key-in-use' }), {
      status: 409,
      headers: { 'Content-Type': 'application/problem+json' },
    });
    expect(await transport(fakeFetch(typed)).send(op(), ctx())).toMatchObject({ ok: false, retryable: true, free: true, retryAfterMs: 1000 });
    const bare = await transport(fakeFetch(new Response(null, { status: 409 }))).send(op(), ctx());
    expect(bare).toMatchObject({ ok: false, retryable: false, status: 409 });
  });

  it('a custom classify decides, and is told whether the request carried a key', async () => {
    const seen: unknown[] = [];
    const t = transport(fakeFetch(new Response(null, { status: 418 }), new Response(null, { status: 409 })), {
      classify: (status, req) => (seen.push([status, req.idempotencyKey]), status === 418 ? 'retryable' : 'permanent'),
    });
    expect(await t.send(op(), ctx())).toMatchObject({ ok: false, retryable: true, status: 418 });
    expect(await t.send(op(), ctx())).toMatchObject({ ok: false, retryable: false, status: 409 });
    expect(seen).toEqual([
      [418, true],
      [409, true],
    ]);
  });

  it("keeps the server's reason for a refusal: a JSON error field, or the start of a text body, bounded", async () => {
    const json = await transport(
      fakeFetch(new Response(JSON.stringify({ error: 'text is\nrequired' }), { status: 422, statusText: 'Unprocessable Entity' })),
    ).send(op(), ctx());
    expect(json.error).toBe('HTTP 422 Unprocessable Entity: text is required');
    const text = await transport(fakeFetch(new Response('x'.repeat(10_000), { status: 500 }))).send(op(), ctx());
    expect(text.error).toBe(`HTTP 500: ${'x'.repeat(200)}`);
    const empty = await transport(fakeFetch(new Response(null, { status: 400 }))).send(op(), ctx());
    expect(empty.error).toBe('HTTP 400');
    // A body that never ends cannot stall the worker.
    const endless = new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('partial')) });
    const stalled = await transport(fakeFetch(new Response(endless, { status: 500 }))).send(op(), ctx());
    expect(stalled.error).toBe('HTTP 500: partial');
  });

  it("a redirect holds the session's lanes, whether seen as 3xx or as an opaque redirect", async () => {
    const r = await transport(fakeFetch(new Response(null, { status: 302, headers: { Location: '/x' } }))).send(op(), ctx());
    expect(r).toMatchObject({ ok: false, retryable: true, free: true, status: 302, hold: expect.stringMatching(/^needs-auth/) });
    const opaque = Object.assign(new Response(null, { status: 200 }), {});
    Object.defineProperty(opaque, 'type', { value: 'opaqueredirect' });
    Object.defineProperty(opaque, 'status', { value: 0 });
    expect(await transport(fakeFetch(opaque)).send(op(), ctx())).toMatchObject({ ok: false, free: true, hold: expect.stringMatching(/^needs-auth/) });
  });

  it('a network error is retryable, unanswered, and free while the origin answers nothing', async () => {
    const r = await transport(fakeFetch(new TypeError('Failed to fetch'))).send(op(), ctx());
    expect(r).toMatchObject({ ok: false, retryable: true, unanswered: true, free: true });
    expect(r.error).toMatch(/network error/);
  });

  it('a timeout counts when the same origin answered another request meanwhile; not when it answered nothing', async () => {
    let release: (() => void) | undefined;
    const f: FetchLike = (url, init) =>
      url.endsWith('/slow')
        ? new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))
        : new Promise((resolve) => (release = () => resolve(new Response(null, { status: 200 }))));
    const t = transport(f, { timeoutMs: 40 });
    const hanging = t.send(op({ target: '/slow' }), ctx());
    const other = t.send(op({ target: '/fast' }), ctx());
    await new Promise((r) => setTimeout(r, 5));
    release?.();
    expect((await other).ok).toBe(true);
    const r = await hanging;
    expect(r).toMatchObject({ ok: false, retryable: true, unanswered: true });
    expect(r.free).toBeUndefined();
    expect(r.error).toMatch(/timeout after 40 ms \(while https:\/\/app\.example answered other requests\)/);
    // Alone, the same silence is the origin's, not the op's.
    expect(await transport(fakeFetch('hang'), { timeoutMs: 20 }).send(op(), ctx())).toMatchObject({ unanswered: true, free: true });
  });

  it('a send that does not answer in time is aborted and retryable', async () => {
    const f = fakeFetch('hang');
    const r = await transport(f, { timeoutMs: 20 }).send(op(), ctx());
    expect(r).toMatchObject({ ok: false, retryable: true });
    expect(r.error).toMatch(/timeout after 20 ms/);
    expect(f.calls[0]?.init.signal?.aborted).toBe(true);
  });

  it('sends nothing once the signal has aborted (the lease ended)', async () => {
    const f = fakeFetch();
    const outer = new AbortController();
    outer.abort();
    expect(await transport(f).send(op(), { signal: outer.signal })).toMatchObject({ ok: false, retryable: true, unanswered: true });
    expect(f.calls).toHaveLength(0);
  });

  it('honours the SendContext signal', async () => {
    const outer = new AbortController();
    const sending = transport(fakeFetch('hang')).send(op(), { signal: outer.signal });
    outer.abort();
    expect(await sending).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/aborted/) });
  });
});

describe('Retry-After', () => {
  it('in seconds', async () => {
    const r = await transport(fakeFetch(new Response(null, { status: 429, headers: { 'Retry-After': '7' } }))).send(op(), ctx());
    expect(r).toMatchObject({ retryable: true, status: 429, retryAfterMs: 7000 });
  });

  it('as an HTTP date, counted from the injected clock', async () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    const res = new Response(null, { status: 503, headers: { 'Retry-After': 'Wed, 21 Oct 2026 07:28:30 GMT' } });
    const r = await transport(fakeFetch(res), { clock: { now: () => now } }).send(op(), ctx());
    expect(r).toMatchObject({ retryable: true, status: 503, retryAfterMs: 30_000 });
  });

  it('a date in the past or garbage gives no or zero delay', async () => {
    const past = new Response(null, { status: 503, headers: { 'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT' } });
    expect((await transport(fakeFetch(past)).send(op(), ctx())).retryAfterMs).toBe(0);
    const junk = new Response(null, { status: 503, headers: { 'Retry-After': '-3' } });
    expect((await transport(fakeFetch(junk)).send(op(), ctx())).retryAfterMs).toBeUndefined();
  });
});

describe('Retry-After per origin', () => {
  it('a 429 or 503 with Retry-After holds every op to that origin until then, capped by maxRetryAfterMs', async () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    const t = transport(fakeFetch(new Response(null, { status: 429, headers: { 'Retry-After': '99999999' } })), {
      clock,
      maxRetryAfterMs: 60_000,
      allowedOrigins: ['https://api.example'],
    });
    expect(t.heldUntil(op(), now)).toBeUndefined();
    expect(await t.send(op(), ctx())).toMatchObject({ retryAfterMs: 60_000 });
    expect(t.heldUntil(op({ id: 'other', lane: 'b' }), now)).toBe(now + 60_000);
    expect(t.heldUntil(op({ target: 'https://api.example/x' }), now)).toBeUndefined();
    now += 60_000;
    expect(t.heldUntil(op(), now)).toBeUndefined();
  });

  it('a 500 with Retry-After backs off its own lane only; a 409 never pauses the origin', async () => {
    const t = transport(
      fakeFetch(new Response(null, { status: 500, headers: { 'Retry-After': '5' } }), new Response(null, { status: 409, headers: { 'Retry-After': '5' } })),
    );
    await t.send(op(), ctx());
    await t.send(op(), ctx());
    expect(t.heldUntil(op(), Date.now())).toBeUndefined();
  });
});

describe('hooks under the send timeout', () => {
  it('a headers hook that never settles ends with the timeout, as a retryable failure, and sends nothing', async () => {
    const f = fakeFetch();
    let signal: AbortSignal | undefined;
    const t = transport(f, { timeoutMs: 30, headers: (_op, c) => ((signal = c.signal), new Promise(() => {})) });
    expect(await t.send(op(), ctx())).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/timeout after 30 ms/) });
    expect(signal?.aborted).toBe(true);
    expect(f.calls).toHaveLength(0);
  });

  it('a header value with a newline, or a hook that throws, is a free retryable failure naming the header, never its value', async () => {
    const bad = await transport(fakeFetch(), { headers: () => ({ Authorization: 'Bearer secret\nb' }) }).send(op(), ctx());
    expect(bad).toMatchObject({ ok: false, retryable: true, free: true, error: 'headers hook: the value of header "Authorization" is not valid' });
    const badName = await transport(fakeFetch(), { headers: () => ({ 'X Token': 'secret' }) }).send(op(), ctx());
    expect(badName).toMatchObject({ free: true, error: 'headers hook: header "X Token" is not valid' });
    const thrown = await transport(fakeFetch(), {
      headers: () => {
        throw new Error('no token');
      },
    }).send(op(), ctx());
    expect(thrown).toMatchObject({ ok: false, retryable: true, free: true, error: 'headers hook failed: no token' });
  });

  it('onUnauthorized runs under the same timeout; what it throws is retryable', async () => {
    const hangs = transport(fakeFetch(new Response(null, { status: 401 })), { timeoutMs: 30, onUnauthorized: () => new Promise(() => {}) });
    expect(await hangs.send(op(), ctx())).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/timeout/) });
    const throws = transport(fakeFetch(new Response(null, { status: 401 })), { onUnauthorized: () => Promise.reject(new Error('auth down')) });
    expect(await throws.send(op(), ctx())).toMatchObject({ ok: false, retryable: true, status: 401, error: 'onUnauthorized failed: auth down' });
  });
});

describe('auth hooks', () => {
  it('asks for headers at every send and never lets them replace the Idempotency-Key', async () => {
    let token = 0;
    const f = fakeFetch(new Response(null, { status: 503 }), new Response(null, { status: 200 }));
    const t = transport(f, { headers: async () => ({ Authorization: `Bearer t${++token}`, 'Idempotency-Key': 'forged' }) });
    await t.send(op(), ctx());
    await t.send(op(), ctx());
    expect(f.calls.map((c) => new Headers(c.init.headers).get('authorization'))).toEqual(['Bearer t1', 'Bearer t2']);
    expect(f.calls.map((c) => new Headers(c.init.headers).get('idempotency-key'))).toEqual(['key-1', 'key-1']);
  });

  it('a 401 whose hook refreshes is retried once at once, with fresh headers', async () => {
    let token = 'old';
    const f = fakeFetch(new Response(null, { status: 401 }), new Response(null, { status: 200 }));
    const seen: number[] = [];
    const t = transport(f, {
      headers: () => ({ Authorization: token }),
      onUnauthorized: async (_op, res) => {
        seen.push(res.status);
        token = 'new';
        return true;
      },
    });
    expect(await t.send(op(), ctx())).toMatchObject({ ok: true });
    expect(seen).toEqual([401]);
    expect(f.calls.map((c) => new Headers(c.init.headers).get('authorization'))).toEqual(['old', 'new']);
  });

  it('a refusal after a refresh is read by classify: a first 403 fails the op, a second 401 holds the session', async () => {
    const f = fakeFetch(new Response(null, { status: 401 }), new Response(null, { status: 403 }), new Response(null, { status: 200 }));
    const r = await transport(f, { onUnauthorized: async () => true }).send(op(), ctx());
    expect(r).toMatchObject({ ok: false, retryable: false, status: 403 });
    expect(f.calls).toHaveLength(2);
    const again = fakeFetch(new Response(null, { status: 401 }), new Response(null, { status: 401 }));
    const held = await transport(again, { onUnauthorized: async () => true }).send(op(), ctx());
    expect(held).toMatchObject({ ok: false, free: true, status: 401, hold: expect.stringMatching(/^needs-auth/) });
  });

  it('a hook that declines, or no hook, makes a 401 hold the session without a second request; a first 403 fails', async () => {
    const f = fakeFetch(new Response(null, { status: 401 }));
    const declined = await transport(f, { onUnauthorized: async () => false }).send(op(), ctx());
    expect(declined).toMatchObject({ retryable: true, free: true, status: 401, hold: expect.stringMatching(/^needs-auth/) });
    expect(f.calls).toHaveLength(1);
    const none = await transport(fakeFetch(new Response(null, { status: 401 }))).send(op(), ctx());
    expect(none).toMatchObject({ hold: expect.stringMatching(/^needs-auth/) });
    expect(await transport(fakeFetch(new Response(null, { status: 403 }))).send(op(), ctx())).toMatchObject({ retryable: false, status: 403 });
  });
});

describe('targets', () => {
  it('resolves relative targets against the origin', async () => {
    const f = fakeFetch();
    await transport(f).send(op({ target: '/api/x?y=1' }), ctx());
    expect(f.calls[0]?.url).toBe(`${ORIGIN}/api/x?y=1`);
  });

  it.each(['https://evil.example/api', '//evil.example/api', 'javascript:alert(1)', 'http://app.example/api'])('refuses %s without sending', async (target) => {
    const f = fakeFetch();
    const r = await transport(f).send(op({ target }), ctx());
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.error).toMatch(/target-not-allowed/);
    expect(f.calls).toHaveLength(0);
  });

  it('allows an allow-listed origin', async () => {
    const f = fakeFetch();
    const r = await transport(f, { allowedOrigins: ['https://api.example'] }).send(op({ target: 'https://api.example/v1/m' }), ctx());
    expect(r.ok).toBe(true);
    expect(f.calls[0]?.url).toBe('https://api.example/v1/m');
  });
});

describe('HttpTransport batch mode', () => {
  const batch = (fetch: FetchLike, more: ConstructorParameters<typeof HttpTransport>[0] = {}): HttpTransport =>
    transport(fetch, { batchTarget: '/api/batch', ...more });
  const ops = [op({ id: 'a', idempotencyKey: 'ka' }), op({ id: 'b', idempotencyKey: 'kb', payload: { text: 'two' } }), op({ id: 'c', idempotencyKey: 'kc' })];
  const answer = (results: unknown, status = 200): Response => new Response(JSON.stringify({ results }), { status });

  it("keeps each item's own body with its answer", async () => {
    const f = fakeFetch(answer([{ status: 201, body: { message: { seq: 1 } } }, { status: 200 }]));
    const r = await batch(f).sendBatch?.(ops.slice(0, 2), ctx());
    expect(r?.map((x) => x.answer)).toEqual([{ status: 201, body: { message: { seq: 1 } } }, { status: 200 }]);
  });

  it('exists only with a batchTarget', () => {
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
      ops: ops.map((o) => ({ id: o.id, kind: o.kind, target: o.target, method: o.method, idempotencyKey: o.idempotencyKey, payload: o.payload })),
    });
  });

  it('classifies each item as a single send would, with its reason and Retry-After; a short answer leaves the rest unattempted', async () => {
    const f = fakeFetch(answer([{ status: 201 }, { status: 503, error: 'busy\nnow', retryAfter: 3 }]));
    const r = await batch(f).sendBatch?.(ops, ctx());
    expect(r).toEqual([
      { ok: true, status: 201, answer: { status: 201 } },
      // The batch endpoint's own 2xx shows the app is up: an item's 503 is the app's answer, and counts.
      { ok: false, retryable: true, status: 503, error: `HTTP 503: busy now (while ${ORIGIN} answered other requests)`, retryAfterMs: 3000 },
    ]);
    const permanent = await batch(fakeFetch(answer([{ status: 422, error: 'text is required' }]))).sendBatch?.(ops, ctx());
    expect(permanent).toEqual([{ ok: false, retryable: false, status: 422, error: 'HTTP 422: text is required', answer: { status: 422 } }]);
  });

  it("a failed exchange is the first op's failure: network error, 5xx with its Retry-After, 4xx with its reason", async () => {
    expect(await batch(fakeFetch(new TypeError('Failed to fetch'))).sendBatch?.(ops, ctx())).toMatchObject([
      { ok: false, retryable: true, error: 'network error: Failed to fetch' },
    ]);
    const busy = new Response(null, { status: 429, headers: { 'Retry-After': '2' } });
    expect(await batch(fakeFetch(busy)).sendBatch?.(ops, ctx())).toEqual([{ ok: false, retryable: true, status: 429, error: 'HTTP 429', retryAfterMs: 2000 }]);
    const missing = new Response(JSON.stringify({ error: 'no such route' }), { status: 404 });
    expect(await batch(fakeFetch(missing)).sendBatch?.(ops, ctx())).toEqual([
      { ok: false, retryable: false, status: 404, error: 'HTTP 404: no such route', answer: { status: 404, body: '{"error":"no such route"}' } },
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
    const long = await batch(fakeFetch(answer([{ status: 201 }, { status: 201 }, { status: 201 }, { status: 201 }]))).sendBatch?.(ops, ctx());
    expect(long).toHaveLength(3);
  });

  it('an answer that stalls mid-body or never ends cannot hold the send: a retryable failure within the timeout', async () => {
    const stalled = new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"results":[{"status":201}')) });
    const started = Date.now();
    const [r] = (await batch(fakeFetch(new Response(stalled, { status: 200 })), { timeoutMs: 50 }).sendBatch?.(ops, ctx())) ?? [];
    expect(r).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/cut short/) });
    expect(Date.now() - started).toBeLessThan(1000);
    const huge = new Response(`{"results":[${'{"status":201},'.repeat(30_000)}{"status":201}]}`, { status: 200 });
    expect(await batch(fakeFetch(huge)).sendBatch?.(ops, ctx())).toMatchObject([{ ok: false, retryable: true }]);
  });

  it('an op whose target is not allowed ends the batch before it, and fails alone when it comes first', async () => {
    const evil = op({ id: 'x', target: 'https://evil.example/steal' });
    const f = fakeFetch(answer([{ status: 201 }]));
    expect(await batch(f).sendBatch?.([ops[0] as Operation, evil, ops[1] as Operation], ctx())).toEqual([{ ok: true, status: 201, answer: { status: 201 } }]);
    expect(JSON.parse(f.calls[0]?.init.body as string).ops.map((o: { id: string }) => o.id)).toEqual(['a']);
    const alone = await batch(fakeFetch()).sendBatch?.([evil, ops[0] as Operation], ctx());
    expect(alone).toMatchObject([{ ok: false, retryable: false, error: expect.stringMatching(/target-not-allowed/) }]);
    const misconfigured = await transport(fakeFetch(), { batchTarget: 'https://elsewhere.example/batch' }).sendBatch?.(ops, ctx());
    expect(misconfigured).toMatchObject([{ ok: false, retryable: false, error: expect.stringMatching(/^batchTarget: target-not-allowed/) }]);
  });

  it('asks the hooks with the first op: auth headers at send time, one refresh on 401', async () => {
    const seen: string[] = [];
    const f = fakeFetch(new Response(null, { status: 401 }), answer([{ status: 201 }, { status: 201 }, { status: 201 }]));
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
    expect(r).toEqual({ ok: true, status: 201, answer: { status: 201, body: { message: { seq: 7 } }, headers: { location: '/m/7' } } });
    const big = new Response(JSON.stringify({ pad: 'x'.repeat(100) }), { status: 200, headers: { 'Content-Type': 'application/json' } });
    expect((await transport(fakeFetch(big), { maxAnswerBytes: 50 }).send(op(), ctx())).answer).toEqual({ status: 200, truncated: true });
    const binary = new Response(new Uint8Array([1, 2, 3]), { status: 200, headers: { 'Content-Type': 'application/octet-stream' } });
    expect((await transport(fakeFetch(binary)).send(op(), ctx())).answer).toEqual({ status: 200 });
    expect((await transport(fakeFetch(new Response(null, { status: 204 }))).send(op(), ctx())).answer).toEqual({ status: 204 });
  });
});
