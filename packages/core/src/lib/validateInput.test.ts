import { describe, expect, it } from 'vitest';
import { FerryError } from '../FerryError.ts';
import { MemoryStore } from '../MemoryStore.ts';
import { Outbox } from '../outbox/Outbox.ts';
import type { OperationInput } from '../Operation.ts';

const base = { kind: 'message.send', target: '/api/messages', payload: { text: 'hi' } };

function outbox(): Outbox {
  return new Outbox({
    store: new MemoryStore(),
    origin: 'https://app.example',
    allowedOrigins: ['https://api.example'],
    maxPayloadBytes: 1024,
  });
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return err instanceof FerryError ? err.code : `not a FerryError: ${String(err)}`;
  }
}

function deep(n: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = { v };
  return v;
}

describe('enqueue validation', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const cases: [string, unknown, string][] = [
    ['not an object', 'hello', 'invalid-operation'],
    ['null', null, 'invalid-operation'],
    ['empty kind', { ...base, kind: '' }, 'invalid-operation'],
    ['blank kind', { ...base, kind: '   ' }, 'invalid-operation'],
    ['a lane with a NUL', { ...base, lane: 'a\u0000b' }, 'invalid-operation'],
    ['a user with a NUL', { ...base, user: 'alice\u0000' }, 'invalid-operation'],
    ['a kind longer than 256 characters', { ...base, kind: 'k'.repeat(257) }, 'invalid-operation'],
    ['a numeric coalesce key', { ...base, coalesce: { key: 7 } }, 'invalid-operation'],
    ['missing kind', { target: '/x', payload: 1 }, 'invalid-operation'],
    ['empty lane', { ...base, lane: '' }, 'invalid-operation'],
    ['bad method', { ...base, method: 'TRACE' }, 'invalid-operation'],
    ['missing payload', { kind: 'k', target: '/x' }, 'invalid-operation'],
    ['empty id', { ...base, id: '' }, 'invalid-operation'],
    ['foreign origin', { ...base, target: 'https://evil.example/x' }, 'target-not-allowed'],
    ['protocol-relative', { ...base, target: '//evil.example/x' }, 'target-not-allowed'],
    ['javascript url', { ...base, target: 'javascript:alert(1)' }, 'target-not-allowed'],
    ['relative without slash', { ...base, target: 'api/x' }, 'target-not-allowed'],
    ['function', { ...base, payload: { f: () => 1 } }, 'payload-not-cloneable'],
    ['symbol', { ...base, payload: { s: Symbol('x') } }, 'payload-not-cloneable'],
    ['undefined', { ...base, payload: { u: undefined } }, 'payload-not-cloneable'],
    ['bigint', { ...base, payload: 1n }, 'payload-not-cloneable'],
    ['NaN', { ...base, payload: [NaN] }, 'payload-not-cloneable'],
    ['Infinity', { ...base, payload: { n: Infinity } }, 'payload-not-cloneable'],
    ['Date', { ...base, payload: { at: new Date() } }, 'payload-not-cloneable'],
    ['Map', { ...base, payload: new Map() }, 'payload-not-cloneable'],
    ['class instance', { ...base, payload: new (class Thing {})() }, 'payload-not-cloneable'],
    ['cycle', { ...base, payload: cyclic }, 'payload-not-cloneable'],
    ['oversize', { ...base, payload: { text: 'x'.repeat(2000) } }, 'payload-too-large'],
    ['oversize in UTF-8', { ...base, payload: 'é'.repeat(600) }, 'payload-too-large'],
    ['a tab that turns a path into another origin', { ...base, target: '/\t/evil.example/x' }, 'target-not-allowed'],
    ['a newline that does the same', { ...base, target: '/\n/evil.example/x' }, 'target-not-allowed'],
    ['CR LF, too', { ...base, target: '/\r\n/evil.example/x' }, 'target-not-allowed'],
    ['a backslash, too', { ...base, target: '/\\evil.example/x' }, 'target-not-allowed'],
    [
      'a payload getter that throws',
      {
        ...base,
        payload: {
          get text(): string {
            throw new Error('boom');
          },
        },
      },
      'payload-not-cloneable',
    ],
    [
      'a Proxy that throws on read',
      {
        ...base,
        payload: new Proxy(
          { a: 1 },
          {
            get: () => {
              throw new Error('revoked');
            },
          },
        ),
      },
      'payload-not-cloneable',
    ],
    [
      'a kind getter that throws',
      {
        ...base,
        get kind(): string {
          throw new Error('boom');
        },
      },
      'invalid-operation',
    ],
    ['a payload nested 100,000 deep', { ...base, payload: deep(100_000) }, 'payload-not-cloneable'],
  ];

  it.each(cases)('%s: a typed error, and nothing stored', async (_, input, expected) => {
    const o = outbox();
    const kept = await o.enqueue(base);
    expect(await code(o.enqueue(input as never))).toBe(expected);
    expect((await o.list()).map((op) => op.id)).toEqual([kept.id]);
    expect(await o.wal.records()).toHaveLength(1);
  });

  it('stores a plain copy of a reactive (Proxy) payload, read once, and it joins its group commit like any other', async () => {
    const o = outbox();
    let reads = 0;
    const state = new Proxy(
      { text: 'hi', tags: ['a'] },
      { get: (t, k, r) => ((reads += k === 'text' ? 1 : 0), Reflect.get(t, k, r)) },
    );
    const results = await Promise.allSettled([
      o.enqueue(base),
      o.enqueue({ ...base, payload: state }),
      o.enqueue(base),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(reads).toBe(1);
    const stored = (results[1] as PromiseFulfilledResult<{ id: string }>).value;
    expect((await o.get(stored.id))?.payload).toEqual({ text: 'hi', tags: ['a'] });
  });

  it('a payload Proxy whose ownKeys or getPrototypeOf trap throws (or that is revoked) is payload-not-cloneable, for enqueue and update', async () => {
    const o = outbox();
    const throwing = (trap: 'ownKeys' | 'getPrototypeOf') =>
      new Proxy(
        { text: 'hi' },
        {
          [trap]: () => {
            throw new Error(`${trap} trap`);
          },
        },
      );
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const kept = await o.enqueue(base);
    for (const payload of [
      throwing('ownKeys'),
      throwing('getPrototypeOf'),
      revoked.proxy,
      { nested: [throwing('ownKeys')] },
    ]) {
      expect(await code(o.enqueue({ ...base, payload }))).toBe('payload-not-cloneable');
      expect(await code(o.update(kept.id, { payload: payload as never }))).toBe('payload-not-cloneable');
    }
    expect((await o.list()).map((op) => [op.id, op.payload])).toEqual([[kept.id, base.payload]]);
  });

  it('every rejection is a FerryError, and a bad op never sinks its burst', async () => {
    const o = outbox();
    const bad = [
      {
        ...base,
        payload: {
          get x(): number {
            throw new Error('getter');
          },
        },
      },
      {
        ...base,
        get target(): string {
          throw new Error('getter');
        },
      },
      { ...base, payload: deep(5000) },
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('trap');
          },
          has: () => true,
        },
      ),
    ];
    const results = await Promise.allSettled([
      o.enqueue(base),
      ...bad.map((b) => o.enqueue(b as never)),
      o.enqueue(base),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    for (const r of results.slice(1, -1)) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(FerryError);
    expect((await o.stats()).pending).toBe(2);
  });

  it('a bad input in a burst does not sink its neighbours', async () => {
    const o = outbox();
    const results = await Promise.allSettled([o.enqueue(base), o.enqueue({ ...base, kind: '' }), o.enqueue(base)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await o.stats()).pending).toBe(2);
  });

  it('accepts same-origin and allow-listed absolute targets, and JSON edge values', async () => {
    const o = outbox();
    const a = await o.enqueue({ ...base, target: 'https://app.example/api/x' });
    const b = await o.enqueue({
      ...base,
      target: 'https://api.example/v1/x',
      method: 'PUT',
      lane: 'chat:42',
      payload: null,
    });
    expect(a.target).toBe('https://app.example/api/x');
    expect(b).toMatchObject({ method: 'PUT', lane: 'chat:42', payload: null });
    const shared = { x: 1 };
    await o.enqueue({ ...base, payload: [shared, shared, Object.create(null) as Record<string, never>] });
  });

  it('counts a payload in UTF-8 bytes of its JSON, to the byte, short or long', async () => {
    // 1,024 bytes allowed; "€" is 3 bytes of UTF-8, the quotes 2: 340 of them make 1,022 bytes, 341 make 1,025.
    const o = outbox();
    const sized = (payload: string) => code(o.enqueue({ ...base, payload }));
    expect(await sized('€'.repeat(340))).toBe('resolved');
    expect(await sized('€'.repeat(341))).toBe('payload-too-large');
    expect(await sized('€'.repeat(200))).toBe('resolved');
    expect(await sized('x'.repeat(1022))).toBe('resolved');
    expect(await sized('x'.repeat(1023))).toBe('payload-too-large');
  });

  it('a target one Outbox accepted is checked again by another with other rules', async () => {
    const target = 'https://api.example/x';
    expect(await code(outbox().enqueue({ ...base, target }))).toBe('resolved');
    expect(await code(outbox().enqueue({ ...base, target }))).toBe('resolved');
    const strict = new Outbox({ store: new MemoryStore(), origin: 'https://app.example' });
    expect(await code(strict.enqueue({ ...base, target }))).toBe('target-not-allowed');
    expect(await code(strict.enqueue({ ...base, target: '/x' }))).toBe('resolved');
  });

  it('names the path of what it refuses, and of a property that could not be read', async () => {
    const refused = async (payload: object): Promise<string> => {
      try {
        await outbox().enqueue({ ...base, payload } as OperationInput);
        return 'resolved';
      } catch (err) {
        return (err as FerryError).message;
      }
    };
    expect(await refused({ a: [1, { b: NaN }] })).toBe('payload.a[1].b is NaN, which JSON cannot carry');
    const getter = {
      get x(): number {
        throw new Error('boom');
      },
    };
    expect(await refused({ list: [0, getter] })).toBe('payload.list[1]["x"] could not be read: boom');
    const items = Object.defineProperty([0], 0, {
      get(): number {
        throw new Error('boom');
      },
    });
    expect(await refused({ items })).toBe('payload.items[0] could not be read: boom');
  });

  it('keeps __proto__ and constructor keys as plain data, polluting nothing', async () => {
    const o = outbox();
    const payload = JSON.parse(
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"bad": 1}}, "text": "x"}',
    );
    const op = await o.enqueue({ ...base, payload });
    const stored = (await o.get(op.id))?.payload as Record<string, unknown>;
    expect(Object.keys(stored)).toEqual(['__proto__', 'constructor', 'text']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(stored)).toBe(JSON.stringify(payload));
  });
});
