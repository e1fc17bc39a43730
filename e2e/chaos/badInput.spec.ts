/**
 * Bad input, each met with its typed error while nothing already stored is
 * lost: non-cloneable and non-JSON payloads, cycles, oversize payloads, an
 * empty kind, foreign targets, malformed and unknown protocol messages,
 * `__proto__`/`constructor` keys (data, delivered intact), and records
 * corrupted straight in IndexedDB (quarantined, the worker keeps draining).
 */
import type { Page } from '@playwright/test';
import type { Operation } from '../../packages/core/src/index.ts';
import { expect, openApp, test } from '../fixtures.ts';
import { inPage } from '../lib.ts';
import { rngFor, seeded, settled, storedOps, verdict } from './harness.ts';

const SCENARIO = 'bad-input';

/** Enqueues what `make` builds in the page; resolves with the error code, or `ok:<id>`. */
const codeOf = (page: Page, make: string): Promise<string> =>
  page.evaluate(
    (make) =>
      // biome-ignore lint/security/noGlobalEval: the bad inputs (functions, symbols, DOM nodes) can only be built in the page.
      window.ferry.enqueue({ kind: 'chaos.bad', target: '/api/bad', payload: null, ...(0, eval)(`(${make})`) }).then(
        (id) => `ok:${id}`,
        (err: { code?: string }) => err.code ?? `not a FerryError: ${String(err)}`,
      ),
    make,
  );

/** Reads a store of the worker's database straight from the page. */
const readStore = (page: Page, store: 'outbox' | 'quarantine'): Promise<{ key: unknown; value: unknown }[]> =>
  page.evaluate(
    (store) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('ferry');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(store, 'readonly');
          const keys = tx.objectStore(store).getAllKeys();
          const values = tx.objectStore(store).getAll();
          tx.oncomplete = () => {
            db.close();
            resolve(keys.result.map((key, i) => ({ key, value: values.result[i] })));
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    store,
  );

test(`${SCENARIO}: typed errors, nothing stored lost, corrupt records quarantined`, async ({ page, server }) => {
  test.setTimeout(120_000);
  const rng = rngFor(SCENARIO);
  const started = Date.now();
  await openApp(page, server, 'sendTimeout=1000&attempts=100');
  // Ops of lane `held` get no answer until the end: they stay queued through everything below.
  let holding = true;
  server.plan = (req) => ((req.body as { lane?: string } | undefined)?.lane === 'held' && holding ? 'hang' : 'pass');

  const good = (n: number, lane: string) => ({
    kind: 'chaos.bad',
    target: '/api/bad',
    lane,
    payload: { tag: `bad-${n}`, lane, n },
  });
  const acked = await inPage(page, (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))), [
    ...Array.from({ length: 10 }, (_, n) => good(n, 'ok')),
    ...Array.from({ length: 5 }, (_, n) => good(10 + n, 'held')),
  ]);
  await expect.poll(() => server.applied.length).toBe(10);
  const before = (await storedOps(page)).map((o) => o.id).sort();

  const bad: [string, string][] = [
    ['{ payload: () => 1 }', 'payload-not-cloneable'],
    ['{ payload: { a: { f() {} } } }', 'payload-not-cloneable'],
    ['{ payload: Symbol("s") }', 'payload-not-cloneable'],
    ['{ payload: { s: Symbol.iterator } }', 'payload-not-cloneable'],
    ['{ payload: document.body }', 'payload-not-cloneable'],
    ['{ payload: [document.createElement("div")] }', 'payload-not-cloneable'],
    ['{ payload: (() => { const o = { a: 1 }; o.self = o; return o; })() }', 'payload-not-cloneable'],
    ['{ payload: (() => { const a = []; a.push({ a }); return a; })() }', 'payload-not-cloneable'],
    ['{ payload: new Date(0) }', 'payload-not-cloneable'],
    ['{ payload: new Map([[1, 2]]) }', 'payload-not-cloneable'],
    ['{ payload: { n: NaN } }', 'payload-not-cloneable'],
    ['{ payload: { big: 1n } }', 'payload-not-cloneable'],
    ['{ payload: { u: undefined } }', 'payload-not-cloneable'],
    ['{ payload: "x".repeat(256 * 1024) }', 'payload-too-large'],
    ['{ payload: { s: "é".repeat(140 * 1024) } }', 'payload-too-large'],
    ['{ kind: "" }', 'invalid-operation'],
    ['{ kind: "   " }', 'invalid-operation'],
    ['{ kind: undefined }', 'invalid-operation'],
    ['{ kind: 42 }', 'invalid-operation'],
    ['{ lane: "" }', 'invalid-operation'],
    ['{ method: "GET" }', 'invalid-operation'],
    ['{ payload: undefined }', 'payload-not-cloneable'],
    ['{ target: "https://evil.example/x" }', 'target-not-allowed'],
    ['{ target: "//evil.example/x" }', 'target-not-allowed'],
    ['{ target: "/\\\\evil.example/x" }', 'target-not-allowed'],
    ['{ target: "javascript:alert(1)" }', 'target-not-allowed'],
    ['{ target: "data:text/plain,x" }', 'target-not-allowed'],
    ['{ target: "ftp://127.0.0.1/x" }', 'target-not-allowed'],
  ];
  const codes: Record<string, string> = {};
  for (const [make, want] of bad) {
    const got = await codeOf(page, make);
    codes[make] = got;
    expect(got, seeded(`enqueue(${make})`)).toBe(want);
  }

  // Messages without Ferry's marker are the app's: Ferry leaves them alone.
  const unmarked = await page.evaluate(() =>
    Promise.all(
      [undefined, 'enqueue', [{ ferry: true, v: 1, id: 'a', type: 'ping' }], { v: 1, id: 'a2', type: 'ping' }].map(
        (m) => window.raw(m, 500, false),
      ),
    ),
  );
  expect(unmarked, seeded('an unmarked message was answered')).toEqual([
    'no-reply',
    'no-reply',
    'no-reply',
    'no-reply',
  ]);
  // Malformed and unknown protocol messages with the marker: protocol-error, nothing runs.
  const messages: unknown[] = [
    { v: '1', id: 'b', type: 'ping' },
    { v: 1, id: 'x'.repeat(300), type: 'ping' },
    { v: 1, id: '', type: 'ping' },
    { v: 1, id: 'c', type: '__proto__' },
    { v: 1, id: 'd', type: 'toString' },
    { v: 1, id: 'e', type: 'hasOwnProperty' },
    { v: 1, id: 'f', type: 'get', opId: 42 },
    { v: 1, id: 'g', type: 'get', opId: '' },
    { v: 1, id: 'h', type: 'list', query: { limit: 1e9 } },
    { v: 1, id: 'i', type: 'list', query: { lane: 7 } },
    { v: 1, id: 'j', type: 'enqueue', op: [] },
    { v: 1, id: 'k', type: 'enqueue', op: null },
    { v: 1, id: 'l', type: 'kick', reason: 'constructor' },
  ];
  const replies = await page.evaluate(async (messages) => {
    const out = await Promise.all(messages.map((m) => window.raw(m)));
    // JSON.parse makes `__proto__` an own key: an envelope smuggled behind it is still no request.
    out.push(await window.raw(JSON.parse('{"__proto__": {"v": 1, "id": "p", "type": "ping"}}')));
    out.push(await window.raw(JSON.parse('{"v": 1, "id": "q", "__proto__": {"type": "syncNow"}}')));
    return out;
  }, messages);
  for (const reply of replies)
    expect(reply, seeded('a malformed message')).toMatchObject({ v: 1, ok: false, error: { code: 'protocol-error' } });
  // The worker is alive and answers well-formed requests.
  expect(await page.evaluate(() => window.raw({ v: 1, id: 'alive', type: 'ping' }))).toMatchObject({
    id: 'alive',
    ok: true,
  });

  // Nothing was stored by the bad inputs, and nothing stored was lost.
  expect((await storedOps(page)).map((o) => o.id).sort(), seeded('stored ops changed under bad input')).toEqual(before);

  // `__proto__` and `constructor` keys are data: stored and delivered intact, nothing polluted.
  const tricky =
    '{"tag": "bad-proto", "lane": "ok", "__proto__": {"polluted": "yes", "n": 1}, "constructor": {"prototype": {"polluted": "yes"}}, "nested": {"__proto__": [1, 2], "constructor": "c"}}';
  const protoId = await page.evaluate(
    (json) => window.ferry.enqueue({ kind: 'chaos.bad', target: '/api/bad', lane: 'ok', payload: JSON.parse(json) }),
    tricky,
  );
  acked.push(protoId);
  const delivered = await page.evaluate((id) => window.ferry.whenDone(id), protoId);
  expect(delivered.status).toBe('done');
  const body = server.applied.find((a) => (a.body as { tag?: string }).tag === 'bad-proto')?.body as Record<
    string,
    unknown
  >;
  expect(JSON.stringify(body), seeded('a __proto__ payload')).toBe(JSON.stringify(JSON.parse(tricky)));
  expect(Object.hasOwn(body, '__proto__') && Object.hasOwn(body, 'constructor')).toBe(true);
  // Read back in the page: what the worker stored and returns over postMessage (stringified there,
  // because Playwright's own return-value mapping drops `__proto__` keys).
  const readBack = await page.evaluate(async (id) => JSON.stringify((await window.ferry.get(id))?.payload), protoId);
  expect(readBack, seeded('a __proto__ payload read back')).toBe(JSON.stringify(JSON.parse(tricky)));
  expect(await page.evaluate(() => (({}) as Record<string, unknown>).polluted)).toBeUndefined();
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();

  // Corrupt records written straight into the worker's database, where its hot path meets them:
  // a due lane head, the head of a lane new ops join, an expired lease; and a well-formed op
  // tampered to point at a foreign origin.
  const now = Date.now();
  const valid = (id: string, over: Record<string, unknown>) => ({
    v: 1,
    id,
    kind: 'chaos.bad',
    target: '/api/bad',
    method: 'POST',
    payload: { tag: id },
    lane: id,
    idempotencyKey: `key-${id}`,
    status: 'pending',
    seq: 0,
    attempt: 0,
    nextAttemptAt: 0,
    createdAt: now,
    updatedAt: now,
    statusKey: ['pending', 0],
    laneKey: [id, 0],
    dueKey: [0, 0],
    ...over,
  });
  const corrupt = [
    {
      id: 'corrupt-due',
      v: 1,
      status: 'pending',
      lane: 'zz',
      seq: 0,
      dueKey: [0, 0],
      laneKey: ['zz', 0],
      statusKey: ['pending', 0],
    },
    valid('corrupt-head', {
      v: 99,
      lane: 'ok',
      laneKey: ['ok', 0.5],
      dueKey: undefined,
      seq: 0.5,
      statusKey: ['pending', 0.5],
    }),
    valid('corrupt-lease', {
      status: 'inflight',
      leaseOwner: 7,
      leaseUntil: 0,
      statusKey: ['inflight', 0],
      dueKey: undefined,
    }),
    valid('corrupt-payload', { payload: undefined, dueKey: [0, 0] }),
  ].map((r) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>);
  delete corrupt[3]!.payload;
  const tampered = valid('tampered-target', { target: 'https://evil.example/steal' });
  await page.evaluate(
    (records) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('ferry');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction('outbox', 'readwrite');
          for (const r of records) tx.objectStore('outbox').put(r);
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    [...corrupt, tampered],
  );
  // New work in the lanes the corrupt records sit in, each of them at least once (a lane nothing joins is
  // never read, and its corrupt head waits there harmlessly); the worker must keep draining past them.
  const lanes = ['ok', 'zz', 'corrupt-lease'];
  const after = await inPage(page, (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))), [
    ...Array.from({ length: 10 }, (_, n) => good(100 + n, lanes[n] ?? rng.pick(lanes))),
  ]);
  acked.push(...after);
  await page.evaluate(() => window.ferry.kick());
  await settled(page, after, 30_000, `${SCENARIO} after corrupt records`);
  const corruptIds = corrupt.map((r) => r.id);
  await expect
    .poll(async () => (await readStore(page, 'quarantine')).map((q) => (q.value as { key: string }).key).sort(), {
      message: seeded('corrupt records not quarantined'),
      timeout: 10_000,
    })
    .toEqual(expect.arrayContaining(corruptIds));
  const outboxKeys = (await readStore(page, 'outbox')).map((r) => r.key);
  expect(
    outboxKeys.filter((k) => corruptIds.includes(k as string)),
    seeded('corrupt records left in the outbox'),
  ).toEqual([]);
  // The tampered op is refused by the transport, never sent anywhere.
  await expect
    .poll(() => page.evaluate(() => window.ferry.get('tampered-target')))
    .toMatchObject({ status: 'failed', lastError: { retryable: false } });
  expect(server.sent('key-tampered-target')).toEqual([]);

  // Release the held lane: everything acknowledged is delivered.
  holding = false;
  await settled(page, acked, 30_000, SCENARIO);
  const stored = (await storedOps(page)).filter((o: Operation) => o.id !== 'tampered-target');
  await verdict(SCENARIO, server, acked, stored, {
    extra: {
      badInputs: bad.length,
      badMessages: replies.length,
      corruptRecords: corrupt.length,
      durationMs: Date.now() - started,
    },
  });
});
