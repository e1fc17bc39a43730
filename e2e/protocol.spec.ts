import { expect, openApp, test } from './fixtures.ts';
import { inPage, message } from './lib.ts';

test('malformed and unknown messages are rejected with protocol-error and run nothing', async ({ page, server }) => {
  await openApp(page, server);
  const valid = message(1);
  const bad: unknown[] = [
    'hello',
    null,
    42,
    [],
    { v: 2, id: 'a', type: 'enqueue', op: valid },
    { v: 1, type: 'enqueue', op: valid },
    { v: 1, id: 'b', type: 'explode' },
    { v: 1, id: 'c', type: 'constructor' },
    { v: 1, id: 'd', type: 'enqueue ', op: valid },
    { v: 1, id: 'e', type: 'enqueue' },
    { v: 1, id: 'f', type: 'enqueue', op: JSON.stringify(valid) },
    { v: 1, id: 'g', type: 'discard' },
    { v: 1, id: 'h', type: 'kick', reason: 'eval' },
    { v: 1, id: 'i', type: 'list', query: { status: 'everything' } },
  ];
  const replies = await page.evaluate((bad) => Promise.all(bad.map((m) => window.raw(m))), bad);
  for (const reply of replies) expect(reply).toMatchObject({ v: 1, ok: false, error: { code: 'protocol-error' } });
  expect(replies.map((r) => (r === 'no-reply' ? r : r.id))).toEqual([null, null, null, null, 'a', null, 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']);

  // Without a port there is nobody to answer, and still nothing runs.
  await inPage(page, (op) => navigator.serviceWorker.controller?.postMessage({ v: 1, id: 'x', type: 'enqueue!', op }), valid);
  // A well-formed envelope around an invalid op gets the Outbox's typed error.
  const invalid = await page.evaluate(() => window.raw({ v: 1, id: 'y', type: 'enqueue', op: { kind: '', target: '/api/x', payload: 1 } }));
  expect(invalid).toMatchObject({ id: 'y', ok: false, error: { code: 'invalid-operation' } });
  const foreign = await page.evaluate(() => window.ferry.enqueue({ kind: 'k', target: 'https://evil.example/x', payload: 1 }).catch((e) => e.code));
  expect(foreign).toBe('target-not-allowed');

  expect(await page.evaluate(() => window.ferry.stats())).toEqual({ pending: 0, inflight: 0, done: 0, failed: 0 });
  expect(await page.evaluate(() => window.raw({ v: 1, id: 'z', type: 'ping' }))).toMatchObject({ id: 'z', ok: true });
  expect(server.received).toHaveLength(0);
});
