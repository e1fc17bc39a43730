import { describe, expect, it } from 'vitest';
import { RetryPolicy } from '@ferry/core';
import { ORIGIN, ctx, fakeFetch, op, transport } from './testSupport.ts';
import type { FetchLike } from './HttpTransport.ts';

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

  it.each([502, 503, 504])("%i is a gateway's answer: retryable, free while the app is silent", async (status) => {
    const r = await transport(fakeFetch(new Response(null, { status }))).send(op(), ctx());
    expect(r).toMatchObject({ ok: false, retryable: true, free: true, status });
  });

  it.each([400, 404, 410, 413, 422])('%i is permanent', async (status) => {
    const r = await transport(fakeFetch(new Response(null, { status }))).send(op(), ctx());
    expect(r).toMatchObject({ ok: false, retryable: false, status });
  });

  it('409 to a keyed send is "in progress" when it says so: free, after its Retry-After or a second', async () => {
    const r = await transport(fakeFetch(new Response(null, { status: 409, headers: { 'Retry-After': '3' } }))).send(
      op(),
      ctx(),
    );
    expect(r).toMatchObject({ ok: false, retryable: true, free: true, status: 409, retryAfterMs: 3000 });
    const typed = new Response(JSON.stringify({ type: 'about:blank', code: 'idempotency-key-in-use' }), {
      status: 409,
      headers: { 'Content-Type': 'application/problem+json' },
    });
    const second = { ok: false, retryable: true, free: true, retryAfterMs: 1000 };
    expect(await transport(fakeFetch(typed)).send(op(), ctx())).toMatchObject(second);
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
      fakeFetch(
        new Response(JSON.stringify({ error: 'text is\nrequired' }), {
          status: 422,
          statusText: 'Unprocessable Entity',
        }),
      ),
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
    const r = await transport(fakeFetch(new Response(null, { status: 302, headers: { Location: '/x' } }))).send(
      op(),
      ctx(),
    );
    const hold = expect.stringMatching(/^needs-auth/) as unknown;
    expect(r).toMatchObject({ ok: false, retryable: true, free: true, status: 302, hold });
    const opaque = Object.assign(new Response(null, { status: 200 }), {});
    Object.defineProperty(opaque, 'type', { value: 'opaqueredirect' });
    Object.defineProperty(opaque, 'status', { value: 0 });
    expect(await transport(fakeFetch(opaque)).send(op(), ctx())).toMatchObject({ ok: false, free: true, hold });
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
        ? new Promise((_, reject) =>
            init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
          )
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
    expect(await transport(fakeFetch('hang'), { timeoutMs: 20 }).send(op(), ctx())).toMatchObject({
      unanswered: true,
      free: true,
    });
  });

  it("a gateway's answer counts once the app behind the origin answered another request since it started", async () => {
    let answerGateway: (() => void) | undefined;
    const f: FetchLike = (url) =>
      url.endsWith('/crash')
        ? new Promise((resolve) => (answerGateway = () => resolve(new Response(null, { status: 502 }))))
        : Promise.resolve(new Response(null, { status: 201 }));
    const t = transport(f);
    const crashing = t.send(op({ target: '/crash' }), ctx());
    expect((await t.send(op({ target: '/fine' }), ctx())).ok).toBe(true);
    answerGateway?.();
    const r = await crashing;
    expect(r).toMatchObject({ ok: false, retryable: true, status: 502 });
    expect(r.free).toBeUndefined();
    expect(r.error).toMatch(/^HTTP 502 \(while https:\/\/app\.example answered other requests\)$/);
    // A gateway's answer to another request is not the app's: it makes nothing count.
    const outage = transport(fakeFetch(new Response(null, { status: 502 }), new Response(null, { status: 504 })));
    await outage.send(op({ target: '/a' }), ctx());
    expect(await outage.send(op({ target: '/b' }), ctx())).toMatchObject({ free: true, status: 504 });
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
    expect(await transport(f).send(op(), { signal: outer.signal })).toMatchObject({
      ok: false,
      retryable: true,
      unanswered: true,
    });
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
    const r = await transport(fakeFetch(new Response(null, { status: 429, headers: { 'Retry-After': '7' } }))).send(
      op(),
      ctx(),
    );
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
  it('a 429 or 503 with Retry-After pauses every op to that origin until then, capped by the retry policy (maxRetryAfterMs)', async () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    const t = transport(fakeFetch(new Response(null, { status: 429, headers: { 'Retry-After': '99999999' } })), {
      clock,
      retry: new RetryPolicy({ maxRetryAfterMs: 60_000 }),
      allowedOrigins: ['https://api.example'],
    });
    expect(t.pausedUntil(op(), now)).toBeUndefined();
    expect(await t.send(op(), ctx())).toMatchObject({ retryAfterMs: 60_000 });
    expect(t.pausedUntil(op({ id: 'other', lane: 'b' }), now)).toBe(now + 60_000);
    expect(t.pausedUntil(op({ target: 'https://api.example/x' }), now)).toBeUndefined();
    now += 60_000;
    expect(t.pausedUntil(op(), now)).toBeUndefined();
  });

  it('a 500 with Retry-After backs off its own lane only; a 409 never pauses the origin', async () => {
    const t = transport(
      fakeFetch(
        new Response(null, { status: 500, headers: { 'Retry-After': '5' } }),
        new Response(null, { status: 409, headers: { 'Retry-After': '5' } }),
      ),
    );
    await t.send(op(), ctx());
    await t.send(op(), ctx());
    expect(t.pausedUntil(op(), Date.now())).toBeUndefined();
  });
});

describe('targets', () => {
  it('resolves relative targets against the origin', async () => {
    const f = fakeFetch();
    await transport(f).send(op({ target: '/api/x?y=1' }), ctx());
    expect(f.calls[0]?.url).toBe(`${ORIGIN}/api/x?y=1`);
  });

  it.each(['https://evil.example/api', '//evil.example/api', 'javascript:alert(1)', 'http://app.example/api'])(
    'refuses %s without sending',
    async (target) => {
      const f = fakeFetch();
      const r = await transport(f).send(op({ target }), ctx());
      expect(r).toMatchObject({ ok: false, retryable: false });
      expect(r.error).toMatch(/target-not-allowed/);
      expect(f.calls).toHaveLength(0);
    },
  );

  it('allows an allow-listed origin', async () => {
    const f = fakeFetch();
    const r = await transport(f, { allowedOrigins: ['https://api.example'] }).send(
      op({ target: 'https://api.example/v1/m' }),
      ctx(),
    );
    expect(r.ok).toBe(true);
    expect(f.calls[0]?.url).toBe('https://api.example/v1/m');
  });
});
