import { expect, openApp, test } from './fixtures.ts';
import { inPage, message } from './lib.ts';

test('malformed and unknown messages are rejected with protocol-error and run nothing', async ({ page, server }) => {
  await openApp(page, server);
  const valid = message(1);
  const bad: unknown[] = [
    { v: 2, id: 'a', type: 'enqueue', op: valid },
    { v: 1, type: 'enqueue', op: valid },
    { v: 1, id: 'b', type: 'explode' },
    { v: 1, id: 'c', type: 'constructor' },
    { v: 1, id: 'd', type: 'enqueue ', op: valid },
    { v: 1, id: 'e', type: 'enqueue' },
    { v: 1, id: 'f', type: 'enqueue', op: JSON.stringify(valid) },
    { v: 1, id: 'g', type: 'remove' },
    { v: 1, id: 'h', type: 'kick', reason: 'eval' },
    { v: 1, id: 'i', type: 'list', query: { status: 'everything' } },
    { v: 1, id: 'j', type: 'enqueueBatch', op: valid },
    { v: 1, id: 'k', type: 'enqueueBatch', ops: [] },
    { v: 1, id: 'l', type: 'enqueueBatch', ops: valid },
  ];
  const replies = await page.evaluate((bad) => Promise.all(bad.map((m) => window.raw(m))), bad);
  for (const reply of replies) expect(reply).toMatchObject({ v: 1, ok: false, error: { code: 'protocol-error' } });
  expect(replies.map((r) => (r === 'no-reply' ? r : r.id))).toEqual([
    'a',
    null,
    'b',
    'c',
    'd',
    'e',
    'f',
    'g',
    'h',
    'i',
    'j',
    'k',
    'l',
  ]);

  // Without a port there is nobody to answer, and still nothing runs.
  await inPage(
    page,
    (op) => navigator.serviceWorker.controller?.postMessage({ ferry: true, v: 1, id: 'x', type: 'enqueue!', op }),
    valid,
  );
  // A well-formed envelope around an invalid op gets the Outbox's typed error.
  const invalid = await page.evaluate(() =>
    window.raw({ v: 1, id: 'y', type: 'enqueue', op: { kind: '', target: '/api/x', payload: 1 } }),
  );
  expect(invalid).toMatchObject({ id: 'y', ok: false, error: { code: 'invalid-operation' } });
  const foreign = await page.evaluate(() =>
    window.ferry.enqueue({ kind: 'k', target: 'https://evil.example/x', payload: 1 }).catch((e) => e.code),
  );
  expect(foreign).toBe('target-not-allowed');

  expect(await page.evaluate(() => window.ferry.stats())).toEqual({ pending: 0, inflight: 0, done: 0, failed: 0 });
  expect(await page.evaluate(() => window.raw({ v: 1, id: 'z', type: 'ping' }))).toMatchObject({ id: 'z', ok: true });
  expect(server.received).toHaveLength(0);
});

test("a message without Ferry's marker is the app's: the app's handler answers it, Ferry neither answers nor runs it", async ({
  page,
  server,
}) => {
  await openApp(page, server);
  // workbox-window's messageSW() resolves with the first reply on its port: it must be the app's.
  expect(await page.evaluate(() => window.appVersion())).toEqual([{ version: 'e2e' }]);
  // Requests without the marker, even well-formed ones, are not Ferry's.
  const unmarked = await inPage(
    page,
    (op) =>
      Promise.all(
        ['hello', null, 42, [], { v: 1, id: 'u', type: 'enqueue', op }].map((m) => window.raw(m, 500, false)),
      ),
    message(9),
  );
  expect(unmarked).toEqual(['no-reply', 'no-reply', 'no-reply', 'no-reply', 'no-reply']);
  expect(await page.evaluate(() => window.ferry.stats())).toEqual({ pending: 0, inflight: 0, done: 0, failed: 0 });
  expect(server.received).toHaveLength(0);
});

for (const mode of ['worker', 'page'] as const) {
  test(`enqueues of one task go as one batch (${mode}); a bad op fails alone and the rest are delivered`, async ({
    page,
    server,
  }) => {
    await openApp(page, server, mode === 'page' ? 'mode=page' : '');
    const rounds = await page.evaluate(async () => {
      // What goes to the worker (worker mode; in page mode the host is no ServiceWorker).
      const sent: string[] = [];
      const post = ServiceWorker.prototype.postMessage;
      ServiceWorker.prototype.postMessage = function (this: ServiceWorker, m: unknown, t: never) {
        const { type, ops } = m as { type: string; ops?: unknown[] };
        sent.push(ops ? `${type}:${ops.length}` : type);
        return post.call(this, m, t);
      } as typeof post;
      const op = (n: number, more: object = {}) => ({
        kind: 'message.send',
        target: '/api/messages',
        payload: { n, lane: 'default' },
        ...more,
      });
      const run = async (ops: object[]) => {
        sent.length = 0;
        const settled = await Promise.allSettled(ops.map((o) => window.ferry.enqueue(o as never)));
        const outcomes = settled.map((s) =>
          s.status === 'fulfilled' ? { id: s.value } : { code: (s.reason as { code: string }).code },
        );
        return { sent: [...sent], outcomes };
      };
      try {
        // Refused by the worker's Outbox, each in its own result.
        const first = await run([op(1), op(2, { target: 'https://evil.example/x' }), op(3, { kind: '' }), op(4)]);
        // Refused by postMessage for the whole message: then each op goes alone.
        const second = await run([op(5), op(6, { payload: { n: 6, f: () => 6 } }), op(7)]);
        return [first, second];
      } finally {
        ServiceWorker.prototype.postMessage = post;
      }
    });
    const codes = (r: { outcomes: ({ id: string } | { code: string })[] }) =>
      r.outcomes.map((o) => ('code' in o ? o.code : 'ok'));
    const [first, second] = rounds as [(typeof rounds)[0], (typeof rounds)[0]];
    expect(codes(first)).toEqual(['ok', 'target-not-allowed', 'invalid-operation', 'ok']);
    expect(codes(second)).toEqual(['ok', 'payload-not-cloneable', 'ok']);
    if (mode === 'worker') {
      expect(first.sent).toEqual(['enqueueBatch:4']);
      expect(second.sent).toEqual(['enqueueBatch:3', 'enqueue', 'enqueue', 'enqueue']);
    }
    const ids = [...first.outcomes, ...second.outcomes].flatMap((o) => ('id' in o && o.id !== undefined ? [o.id] : []));
    for (const id of ids)
      expect(await page.evaluate((id) => window.ferry.whenDone(id).then((op) => op.status), id)).toBe('done');
    expect(server.received.map((r) => (r.body as { n: number }).n).sort()).toEqual([1, 4, 5, 7]);
  });
}
