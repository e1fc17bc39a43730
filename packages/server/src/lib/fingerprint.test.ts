/**
 * The fingerprint sees every byte that matters in a JSON payload and none that does not: one test per
 * JSON corner (numbers, escapes, member order, duplicates, unicode), then the same through the layer.
 */
import { describe, expect, it } from 'vitest';
import type { AppHandler } from '../Idempotency.ts';
import { Idempotency } from '../Idempotency.ts';
import { createBatchHandler } from '../BatchHandler.ts';
import { MemoryIdempotencyStore } from '../MemoryIdempotencyStore.ts';
import { canonicalJson } from './canonicalJson.ts';
import { DuplicateMember, fingerprint } from './fingerprint.ts';

const utf8 = new TextEncoder();
const fp = (text: string) => fingerprint('POST', '/api/x', utf8.encode(text));
const same = async (a: string, b: string) => expect(await fp(a)).toBe(await fp(b));
const differ = async (a: string, b: string) => expect(await fp(a)).not.toBe(await fp(b));

describe('fingerprint: digest', () => {
  it('is SHA-256 of method, path and canonical payload, as crypto.subtle computes it (keys stored before stay valid)', async () => {
    const expected = async (bytes: Uint8Array) =>
      Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) =>
        b.toString(16).padStart(2, '0'),
      ).join('');
    expect(await fp(' { "b":1, "a":"é" } ')).toBe(await expected(utf8.encode('POST /api/x\njson:{"a":"é","b":1e0}')));
    const notUtf8 = new Uint8Array([0xff, 0x00, 0x41]);
    expect(await fingerprint('put', '/p?q=1', notUtf8)).toBe(
      await expected(new Uint8Array([...utf8.encode('PUT /p?q=1\n'), ...notUtf8])),
    );
  });
});

describe('fingerprint: JSON corners', () => {
  it('numbers: integers past 2^53 are compared digit for digit; one value written two ways is one', async () => {
    await differ('{"amount":12345678901234567890}', '{"amount":12345678901234567891}');
    await differ('[9007199254740993]', '[9007199254740992]');
    await differ('[0.1]', '[0.10000000000000001]');
    await same('[1]', '[1.0]');
    await same('[100]', '[1e2]');
    await same('[1E+2]', '[10e1]');
    await same('[0]', '[-0.0]');
    await differ('[1]', '[-1]');
    await differ('[1]', '["1"]');
    expect(canonicalJson('[12345678901234567890]')).toBe('[1234567890123456789e1]');
  });

  it('escapes: one string written with escapes or without is one string', async () => {
    await same('{"to":"A"}', '{"to":"\\u0041"}');
    await same('{"p":"a/b"}', '{"p":"a\\/b"}');
    await same('{"\\u0074o":"x"}', '{"to":"x"}');
    await differ('{"to":"a\\nb"}', '{"to":"a\\\\nb"}');
  });

  it('member order and whitespace do not matter; array order does', async () => {
    await same('{"a":1,"b":{"c":2,"d":3}}', ' { "b" : { "d":3 , "c":2 } ,\n"a":1 } ');
    await differ('[1,2]', '[2,1]');
  });

  it('duplicates: a member named twice is refused, at any depth, however it is escaped', async () => {
    await expect(fp('{"to":"alice","to":"mallory"}')).rejects.toBeInstanceOf(DuplicateMember);
    await expect(fp('[{"a":{"to":1,"\\u0074o":2}}]')).rejects.toBeInstanceOf(DuplicateMember);
    await differ('{"to":"mallory"}', '{"to":"alice"}');
  });

  it('unicode: raw and escaped code points are one string; composed and decomposed forms are two', async () => {
    await same('["é"]', '["\\u00e9"]');
    await same('["😀"]', '["\\ud83d\\ude00"]');
    await differ('["\u00e9"]', '["e\u0301"]');
  });

  it('a body that is not JSON is hashed as its bytes', async () => {
    await differ('{"a":1', '{"a":1 ');
    await same('text=1', 'text=1');
    expect(canonicalJson('{"a":1')).toBeNull();
    const latin1 = await fingerprint('POST', '/api/x', new Uint8Array([0xe9]));
    expect(latin1).not.toBe(await fingerprint('POST', '/api/x', new Uint8Array([0xe8])));
  });
});

describe('fingerprint corners through the layer', () => {
  const send = (idem: Idempotency, body: string, handler: AppHandler) =>
    idem.handle(
      new Request('http://app.test/api/pay', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' },
        body,
      }),
      handler,
    );

  it('another big integer under the key is 422; a duplicate member is 400 and applies nothing', async () => {
    const idem = new Idempotency({
      store: new MemoryIdempotencyStore(),
      singleScope: 'tests',
      effects: 'outside-database',
    });
    let runs = 0;
    const handler: AppHandler = () => (runs++, new Response('paid', { status: 201 }));
    expect((await send(idem, '{"amount":12345678901234567890}', handler)).status).toBe(201);
    const other = await send(idem, '{"amount":12345678901234567891}', handler);
    expect(other.status).toBe(422);
    const twice = await send(
      new Idempotency({ store: new MemoryIdempotencyStore(), singleScope: 't' }),
      '{"to":"a","to":"b"}',
      handler,
    );
    expect(twice.status).toBe(400);
    expect(((await twice.json()) as { code: string }).code).toBe('body-duplicate-member');
    expect(runs).toBe(1);
  });

  it('a batch item reaches the handler with its payload text as sent: big integers and all', async () => {
    const seen: string[] = [];
    const batch = createBatchHandler({
      dispatch: async (req) => (seen.push(await req.text()), new Response(null, { status: 204 })),
    });
    const op = (key: string, payload: string) =>
      `{"target":"/api/pay","method":"POST","idempotencyKey":"${key}","payload":${payload}}`;
    const body = `{"ops":[${op('a', '{"amount":12345678901234567891}')},${op('b', '{"n": 1.50, "s":"\\u0041"}')}]}`;
    const res = await batch(new Request('http://app.test/api/batch', { method: 'POST', body }));
    expect(res.status).toBe(200);
    expect(seen).toEqual(['{"amount":12345678901234567891}', '{"n": 1.50, "s":"\\u0041"}']);
  });
});
