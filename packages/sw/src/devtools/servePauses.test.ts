import type { Reply, OriginPause } from '@ferry/core/protocol';
import { MAX_PAUSE_SECONDS } from '@ferry/core/protocol';
import type { Operation } from '@ferry/core';
import { MemoryStore } from '@ferry/core';
import { VirtualClock } from '@ferry/core/testing';
import { describe, expect, it } from 'vitest';
import { host, op, port } from '../host.testSupport.ts';
import { TEST_ORIGIN } from '../testing/index.ts';
import type { FerryHostOptions } from '../options.ts';
import { devtoolsHost } from './index.ts';

const API = 'https://api.example';

/** A host with the HTTP transport over a fetch that records each request and answers 201, on a virtual clock. */
function httpHost(more: FerryHostOptions = {}) {
  const clock = new VirtualClock();
  const store = new MemoryStore({ clock });
  const fetched: string[] = [];
  const fetch = async (url: string | URL | Request) => {
    fetched.push(String(url));
    return new Response('{}', { status: 201, headers: { 'content-type': 'application/json' } });
  };
  const { h, channel } = host({
    storage: { store: async () => store },
    transport: { fetch },
    allowedOrigins: [API],
    devtools: devtoolsHost,
    ...more,
    platform: { clock, timers: clock },
  });
  const ask = async (body: Record<string, unknown>): Promise<Reply> => {
    const p = port();
    await h.receive({ v: 1, id: 'q', ...body }, p);
    return p.replies[0]!;
  };
  return { h, clock, store, fetched, channel, ask };
}

/** Lets the promises the clock's timers started settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('the pauses request', () => {
  it('makes the host origin unreachable for N s: nothing is sent, nothing spent or parked, and delivery resumes by itself', async () => {
    const { h, clock, fetched, channel, ask } = httpHost();
    const start = clock.now();
    const paused = await ask({ type: 'pauses', pause: { seconds: 10 } });
    expect(paused).toMatchObject({ ok: true, result: [{ origin: TEST_ORIGIN, until: start + 10_000 }] });
    const put = (await ask({ type: 'enqueue', op })) as { result: Operation };
    // The drain the enqueue started deferred the lane to the pause's end.
    const id = put.result.id;
    const get = async () => ((await ask({ type: 'get', opId: id })) as { result: Operation }).result;
    expect(await get()).toMatchObject({ status: 'pending', attempt: 0, nextAttemptAt: start + 10_000 });
    expect(channel.sent.map((m) => m.change.type)).toEqual(['put', 'defer']);
    // A wake within the window sends nothing either.
    clock.advance(9_000);
    await h.wake();
    clock.advance(999);
    await settle();
    expect(fetched).toEqual([]);
    expect(await ask({ type: 'pauses' })).toMatchObject({ result: [{ origin: TEST_ORIGIN }] });
    // The run loop's own timer sends it when the pause ends: no wake from outside.
    clock.advance(1);
    await expect.poll(async () => (await get()).status).toBe('done');
    expect(fetched).toEqual([`${TEST_ORIGIN}/api/m`]);
    expect(await get()).toMatchObject({ attempt: 1 });
    expect(await ask({ type: 'pauses' })).toMatchObject({ ok: true, result: [] });
    await h.close();
  });

  it('pauses an allow-listed origin alone; the host origin still sends', async () => {
    const { h, fetched, ask } = httpHost();
    const reply = (await ask({ type: 'pauses', pause: { seconds: 60, origin: `${API}/ignored/path` } })) as {
      result: OriginPause[];
    };
    expect(reply.result.map((p) => p.origin)).toEqual([API]);
    await ask({ type: 'enqueue', op: { ...op, target: `${API}/m`, lane: 'api' } });
    await ask({ type: 'enqueue', op });
    await h.wake();
    expect(fetched).toEqual([`${TEST_ORIGIN}/api/m`]);
    await h.close();
  });

  it.each([
    ['seconds 0', { seconds: 0 }, 'invalid-argument'],
    ['seconds over MAX_PAUSE_SECONDS', { seconds: MAX_PAUSE_SECONDS + 1 }, 'invalid-argument'],
    ['fractional seconds', { seconds: 1.5 }, 'invalid-argument'],
    ['string seconds', { seconds: '10' }, 'invalid-argument'],
    ['no seconds', { origin: TEST_ORIGIN }, 'invalid-argument'],
    ['an origin not allowed', { seconds: 10, origin: 'https://evil.example' }, 'target-not-allowed'],
    ['an origin that is not a URL', { seconds: 10, origin: 'api' }, 'target-not-allowed'],
  ])('refuses %s with a typed error, and pauses nothing', async (_, pause, code) => {
    const { h, ask } = httpHost();
    expect(await ask({ type: 'pauses', pause })).toMatchObject({ ok: false, error: { code } });
    expect(await ask({ type: 'pauses' })).toMatchObject({ ok: true, result: [] });
    await h.close();
  });

  it('is refused with unsupported without the devtools option, or with a transport of the app', async () => {
    const bare = host();
    const p = port();
    await bare.h.receive({ v: 1, id: 'q', type: 'pauses', pause: { seconds: 10 } }, p);
    expect(p.replies[0]).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    await bare.h.close();
    const custom = host({ devtools: devtoolsHost });
    const q = port();
    await custom.h.receive({ v: 1, id: 'q', type: 'pauses' }, q);
    expect(q.replies[0]).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    await custom.h.close();
  });
});
