/** The credentials hooks of a transport outside a host: `headers` at every send, `onUnauthorized` on a refusal. */
import { describe, expect, it } from 'vitest';
import { ctx, fakeFetch, op, transport } from './testSupport.ts';

describe('hooks under the send timeout', () => {
  it('a headers hook that never settles ends with the timeout, as a retryable failure, and sends nothing', async () => {
    const f = fakeFetch();
    let signal: AbortSignal | undefined;
    const t = transport(f, { timeoutMs: 30, headers: (_op, c) => ((signal = c.signal), new Promise(() => {})) });
    expect(await t.send(op(), ctx())).toMatchObject({
      ok: false,
      retryable: true,
      error: expect.stringMatching(/timeout after 30 ms/),
    });
    expect(signal?.aborted).toBe(true);
    expect(f.calls).toHaveLength(0);
  });

  it('a bad header value or a hook that throws is free and retryable, naming the header, never its value', async () => {
    const secret = { Authorization: 'Bearer secret\nb' };
    const bad = await transport(fakeFetch(), { headers: () => secret }).send(op(), ctx());
    const error = 'headers hook: the value of header "Authorization" is not valid';
    expect(bad).toMatchObject({ ok: false, retryable: true, free: true, error });
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
    const hangs = transport(fakeFetch(new Response(null, { status: 401 })), {
      timeoutMs: 30,
      onUnauthorized: () => new Promise(() => {}),
    });
    expect(await hangs.send(op(), ctx())).toMatchObject({
      ok: false,
      retryable: true,
      error: expect.stringMatching(/timeout/),
    });
    const throws = transport(fakeFetch(new Response(null, { status: 401 })), {
      onUnauthorized: () => Promise.reject(new Error('auth down')),
    });
    expect(await throws.send(op(), ctx())).toMatchObject({
      ok: false,
      retryable: true,
      status: 401,
      error: 'onUnauthorized failed: auth down',
    });
  });
});

describe('auth hooks', () => {
  it('asks for headers at every send and never lets them replace the Idempotency-Key', async () => {
    let token = 0;
    const f = fakeFetch(new Response(null, { status: 503 }), new Response(null, { status: 200 }));
    const t = transport(f, {
      headers: async () => ({ Authorization: `Bearer t${++token}`, 'Idempotency-Key': 'forged' }),
    });
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

  it('a refusal after a refresh goes to classify: a first 403 fails the op, a second 401 holds', async () => {
    const f = fakeFetch(
      new Response(null, { status: 401 }),
      new Response(null, { status: 403 }),
      new Response(null, { status: 200 }),
    );
    const r = await transport(f, { onUnauthorized: async () => true }).send(op(), ctx());
    expect(r).toMatchObject({ ok: false, retryable: false, status: 403 });
    expect(f.calls).toHaveLength(2);
    const again = fakeFetch(new Response(null, { status: 401 }), new Response(null, { status: 401 }));
    const held = await transport(again, { onUnauthorized: async () => true }).send(op(), ctx());
    expect(held).toMatchObject({ ok: false, free: true, status: 401, hold: expect.stringMatching(/^needs-auth/) });
  });

  it('a hook that declines, or none, makes a 401 hold the session without a second request', async () => {
    const f = fakeFetch(new Response(null, { status: 401 }));
    const declined = await transport(f, { onUnauthorized: async () => false }).send(op(), ctx());
    const hold = expect.stringMatching(/^needs-auth/) as unknown;
    expect(declined).toMatchObject({ retryable: true, free: true, status: 401, hold });
    expect(f.calls).toHaveLength(1);
    const none = await transport(fakeFetch(new Response(null, { status: 401 }))).send(op(), ctx());
    expect(none).toMatchObject({ hold: expect.stringMatching(/^needs-auth/) });
    expect(await transport(fakeFetch(new Response(null, { status: 403 }))).send(op(), ctx())).toMatchObject({
      retryable: false,
      status: 403,
    });
  });
});
