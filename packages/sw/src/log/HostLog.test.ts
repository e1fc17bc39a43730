/**
 * The host's logger over a real Outbox, SyncWorker and HttpTransport on a
 * virtual clock: one event per WAL transition at `debug`, and not one call
 * to the console through an outage at the default level.
 */
import type { LogEvent } from '@ferry/core';
import { FerryError, MemoryStore } from '@ferry/core';
import { VirtualClock } from '@ferry/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FerryHost } from '../FerryHost.ts';
import type { FerryHostOptions } from '../options.ts';
import { testPlatform } from '../testing/index.ts';
import type { Reply } from '@ferry/core/protocol';
import type { FetchLike } from '../http/HttpTransport.ts';
import { setup as users } from '../testSupport.ts';

const METHODS = ['debug', 'info', 'log', 'warn', 'error', 'trace'] as const;
/** A macrotask turn: every promise chain the store and the worker started settles. */
const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A host on a virtual clock whose API answers with `answer` (a Response, or an Error to throw). */
function setup(answer: (text: string) => Response | Error, more: FerryHostOptions = {}, online = () => true) {
  const clock = new VirtualClock();
  const store = new MemoryStore({ clock });
  const calls = { n: 0 };
  const fetch: FetchLike = async (_url, init) => {
    calls.n++;
    const a = answer((JSON.parse(String(init.body)) as { text: string }).text);
    if (a instanceof Error) throw a;
    return a;
  };
  const host = new FerryHost({
    storage: { store: async () => store },
    transport: { fetch },
    ...more,
    platform: testPlatform({ clock, timers: clock, isOnline: online, ...more.platform }),
  });
  let n = 0;
  const enqueue = async (text: string, lane = 'chat'): Promise<string> => {
    const replies: Reply[] = [];
    const op = { kind: 'message.send', target: '/api/messages', payload: { text }, lane };
    await host.receive({ v: 1, id: `r${++n}`, type: 'enqueue', op }, { postMessage: (m: Reply) => replies.push(m) });
    const r = replies[0];
    if (!r?.ok) throw new Error(`enqueue failed: ${JSON.stringify(r)}`);
    return (r.result as { id: string }).id;
  };
  /** Lets `ms` of virtual time pass, a second at a time, the host's own timers waking it. */
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 1000) {
      clock.advance(1000);
      await flush();
    }
  };
  const ops = () => store.transaction('readonly', (tx) => tx.listOps({}));
  return { host, store, clock, enqueue, run, ops, calls };
}

const created = (): Response => new Response('{}', { status: 201 });

describe('the host logs one event per WAL transition', () => {
  it('at debug, the op events are the WAL records, one for one and in order', async () => {
    const events: LogEvent[] = [];
    let down = true;
    const { host, store, enqueue, run } = setup(
      (text) =>
        text === 'bad' ? new Response('no', { status: 400 }) : down ? new Response(null, { status: 503 }) : created(),
      { logger: { level: 'debug', sink: (e) => void events.push(e) }, retry: { jitter: false } },
    );
    await enqueue('a');
    await enqueue('bad', 'other');
    await enqueue('b');
    await run(10_000);
    down = false;
    await run(60_000);
    const records = await store.transaction('readonly', (tx) => tx.walFrom(0, 1000));
    const wal = records.map((r) => `op.${r.type} ${r.opId}`);
    const logged = events.filter((e) => e.event.startsWith('op.')).map((e) => `${e.event} ${e.opId}`);
    expect(new Set(wal.map((w) => w.split(' ')[0]))).toEqual(
      new Set(['op.put', 'op.claim', 'op.retry', 'op.fail', 'op.done']),
    );
    expect(logged).toEqual(wal);
    expect(events.find((e) => e.event === 'op.fail')).toMatchObject({ level: 'warn', status: 400, lane: 'other' });
    expect(events.find((e) => e.event === 'op.retry')).toMatchObject({
      level: 'debug',
      status: 503,
      attempt: 0,
      retryAfterMs: expect.any(Number),
    });
    await host.close();
  });

  it('at the default level the sink sees only what an app should look at: here the dead letter', async () => {
    const events: LogEvent[] = [];
    const { host, enqueue, run } = setup((text) => (text === 'bad' ? new Response('no', { status: 422 }) : created()), {
      logger: { sink: (e) => void events.push(e) },
    });
    const bad = await enqueue('bad');
    await enqueue('good');
    await run(5_000);
    expect(events.map((e) => [e.event, e.opId])).toEqual([['op.fail', bad]]);
    await host.close();
  });
});

describe('an outage is not a warning', () => {
  afterEach(() => vi.restoreAllMocks());

  // [what, the answer while down, whether the browser says it is online meanwhile, sends at least]
  it.each([
    ['502 from a proxy', () => new Response('<html>Bad Gateway</html>', { status: 502 }), true, 6],
    ['504 from a proxy', () => new Response('<html>Gateway Timeout</html>', { status: 504 }), true, 6],
    ['503 with Retry-After', () => new Response(null, { status: 503, headers: { 'Retry-After': '30' } }), true, 6],
    ['a network error', () => new TypeError('Failed to fetch'), true, 6],
    ['offline', () => new TypeError('Failed to fetch'), false, 0],
  ] as const)(
    'two minutes of %s, then recovery: every op arrives and the console is never called',
    async (_, fault, up, sends) => {
      const spies = METHODS.map((m) => vi.spyOn(console, m).mockImplementation(() => {}));
      let down = true;
      const { host, enqueue, run, ops, calls } = setup(
        () => (down ? fault() : created()),
        {},
        () => up || !down,
      );
      for (const text of ['a', 'b', 'c']) await enqueue(text);
      await enqueue('d', 'other');
      await run(120_000);
      expect(calls.n).toBeGreaterThanOrEqual(sends);
      expect((await ops()).map((o) => o.status)).not.toContain('failed');
      down = false;
      await host.wake();
      await run(60_000);
      expect((await ops()).map((o) => o.status)).toEqual(['done', 'done', 'done', 'done']);
      expect(spies.map((s) => s.mock.calls)).toEqual(METHODS.map(() => []));
      await host.close();
    },
  );

  it('the default sink is the console, with a [ferry] prefix, for what is logged', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { host, enqueue, run } = setup(() => new Response('no', { status: 422 }));
    const id = await enqueue('bad');
    await run(2_000);
    expect(warn.mock.calls).toEqual([['[ferry] op.fail', expect.objectContaining({ opId: id, status: 422 })]]);
    await host.close();
  });
});

describe('errors the host is told about', () => {
  it('are logged by their code; a sink that throws stops nothing', async () => {
    const events: LogEvent[] = [];
    const { host, enqueue, run } = setup(created, {
      logger: {
        sink: (e) => {
          events.push(e);
          throw new Error('sink bug');
        },
      },
    });
    const errors = [
      new FerryError('quota-exceeded', 'full'),
      new FerryError('lease-superseded', 'late'),
      new FerryError('storage-lost', 'gone'),
      new Error('listener bug'),
    ];
    for (const err of errors)
      host.subscribe(() => {
        throw err;
      });
    await enqueue('a');
    await run(1_000);
    // Three changes (put, claim, done), each seen by the four listeners; lease.superseded is info, below warn.
    expect(events.slice(0, 3).map((e) => [e.event, e.level, e.error?.code])).toEqual([
      ['storage.quota', 'warn', 'quota-exceeded'],
      ['storage.lost', 'error', 'storage-lost'],
      ['host.error', 'error', 'internal'],
    ]);
    expect(events).toHaveLength(9);
    expect(events[2]?.error?.message).toBe('Error: listener bug');
    await host.close();
  });
});

describe('credentials', () => {
  const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

  it('a hold that new credentials release is info; held again right after them is credentials.refused', async () => {
    const events: LogEvent[] = [];
    const { host, call, enqueue, byText } = users(undefined, {
      logger: { level: 'info', sink: (e) => void events.push(e) },
    });
    const { epoch } = await call<{ epoch: number }>({ type: 'signIn', user: 'alice' });
    const give = (token: string) => call({ type: 'setCredentials', user: 'alice', credentials: bearer(token), epoch });
    await give('expired');
    const { id } = await enqueue('one', 'alice');
    await host.wake();
    expect(events.map((e) => e.event)).toEqual(['op.hold']);
    await give('ta');
    await host.wake();
    expect(byText()).toEqual(['one:Bearer expired', 'one:Bearer ta']);
    expect(events.map((e) => e.event)).toEqual(['op.hold']);

    await give('expired');
    const two = await enqueue('two', 'alice');
    await host.wake();
    await give('still-expired');
    await host.wake();
    expect(events.slice(1).map((e) => [e.event, e.level, e.opId])).toEqual([
      ['op.hold', 'info', two.id],
      ['op.hold', 'info', two.id],
      ['credentials.refused', 'warn', two.id],
    ]);
    expect(id).not.toBe(two.id);
    await host.close();
  });
});

describe('Background Sync', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a registration the browser refuses is sync.refused, at info: quiet by default', async () => {
    const spies = METHODS.map((m) => vi.spyOn(console, m).mockImplementation(() => {}));
    const refused = new DOMException('Background Sync is disabled.', 'NotAllowedError');
    const backgroundSync = () => ({ register: () => Promise.reject(refused) });
    const quiet = setup(created, { platform: { backgroundSync } });
    await quiet.enqueue('a');
    await quiet.run(1_000);
    expect(spies.flatMap((s) => s.mock.calls)).toEqual([]);
    await quiet.host.close();

    const events: LogEvent[] = [];
    const told = setup(created, {
      logger: { level: 'info', sink: (e) => void events.push(e) },
      platform: { backgroundSync },
    });
    await told.enqueue('a');
    await told.run(1_000);
    expect(events.map((e) => [e.event, e.level, e.error?.code])).toEqual([['sync.refused', 'info', 'internal']]);
    await told.host.close();
  });
});
