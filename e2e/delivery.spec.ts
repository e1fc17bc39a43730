import { expect, openApp, test } from './fixtures.ts';
import { enqueue, get, keyOf, message, whenDone } from './lib.ts';

test.beforeEach(async ({ page, server }) => {
  await openApp(page, server);
});

test('a 503 is retried with the same Idempotency-Key and the effect applies once', async ({ page, server }) => {
  server.plan = (_req, nth) => (nth === 1 ? { status: 503 } : 'pass');
  const id = await enqueue(page, message(1));
  const op = await whenDone(page, id);
  // A 503 without Retry-After is what a gateway answers for a down upstream: retried, but it spends no attempt.
  expect(op).toMatchObject({ status: 'done', attempt: 1 });
  const key = await keyOf(page, id);
  expect(server.sent(key)).toHaveLength(2);
  expect(server.received).toHaveLength(2);
  expect(server.applied).toEqual([expect.objectContaining({ key, body: { n: 1, lane: 'default' } })]);
});

test('a 429 with Retry-After: no request before it is due', async ({ page, server }) => {
  server.plan = (_req, nth) => (nth === 1 ? { status: 429, headers: { 'Retry-After': '2' } } : 'pass');
  const id = await enqueue(page, message(1));
  await expect.poll(() => server.received.length).toBe(1);
  await expect.poll(async () => (await get(page, id))?.lastError?.status).toBe(429);
  const waiting = await get(page, id);
  expect(waiting).toMatchObject({ status: 'pending', attempt: 1 });
  expect((waiting?.nextAttemptAt ?? 0) - (server.received[0]?.at ?? 0)).toBeGreaterThanOrEqual(2000);

  expect(await whenDone(page, id)).toMatchObject({ status: 'done' });
  const [first, second] = server.received;
  expect(server.received).toHaveLength(2);
  expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(2000);
});

test('a 400 fails the op, visible in list(); retry(id) re-sends it under a new key; remove(id) deletes a failed op, not a done one', async ({
  page,
  server,
}) => {
  // Each message's first request is refused (a retry under a new key is a first request for its key).
  const refused = new Set<unknown>();
  server.plan = (req) => {
    const n = (req.body as { n?: number }).n;
    return refused.has(n) ? 'pass' : (refused.add(n), { status: 400 });
  };
  const id = await enqueue(page, message(1));
  const failed = await whenDone(page, id);
  expect(failed).toMatchObject({ status: 'failed', attempt: 1, lastError: { status: 400, retryable: false } });
  const listed = await page.evaluate(() => window.ferry.list({ status: 'failed' }));
  expect(listed.map((o) => o.id)).toEqual([id]);
  expect(await page.evaluate(() => window.ferry.stats())).toMatchObject({ failed: 1, pending: 0 });
  expect(server.applied).toHaveLength(0);

  // The server stores a 4xx under its key: the retry goes under a new one, or the refusal would be replayed.
  const refusedKey = await keyOf(page, id);
  await page.evaluate((id) => window.ferry.retry(id), id);
  expect(await whenDone(page, id)).toMatchObject({ status: 'done' });
  const key = await keyOf(page, id);
  expect(key).not.toBe(refusedKey);
  expect([server.sent(refusedKey).length, server.sent(key).length]).toEqual([1, 1]);
  expect(server.applied).toHaveLength(1);

  // A failed op can be removed, and is neither listed nor sent again; a done one was delivered and stays.
  const id2 = await enqueue(page, message(2));
  expect(await whenDone(page, id2)).toMatchObject({ status: 'failed' });
  const codes = await page.evaluate(
    (ids) =>
      Promise.all(
        ids.map((id) =>
          window.ferry.remove(id).then(
            () => 'resolved',
            (e: { code?: string }) => e.code ?? String(e),
          ),
        ),
      ),
    [id, id2],
  );
  expect(codes).toEqual(['invalid-state', 'resolved']);
  expect(await get(page, id)).toMatchObject({ status: 'done' });
  expect(await get(page, id2)).toBeUndefined();
  expect((await page.evaluate(() => window.ferry.list())).map((o) => o.id)).toEqual([id]);
  const removed = await page.evaluate(() => window.changes.filter((c) => c.type === 'remove').map((c) => c.op.id));
  expect(removed).toEqual([id2]);
  expect(await page.evaluate(() => window.ferry.syncNow())).toMatchObject({ pending: 0, failed: 0, done: 1 });
  expect(server.received).toHaveLength(3);
});
