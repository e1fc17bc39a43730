/**
 * What apps otherwise write by hand, through the real worker: the server's
 * answer kept across a reload, edits and removals before sending, coalesced
 * saves, and none of it touching an op on the wire.
 */
import { expect, openApp, setOnline, test } from './fixtures.ts';
import { enqueue, get, inPage, message, whenDone } from './lib.ts';

const body = (r: { body?: unknown }) => r.body as { n: number; v?: number };

test("the server's answer is kept with the done op and read back in a page loaded later", async ({ page, server }) => {
  await openApp(page, server);
  const id = await enqueue(page, message(1));
  expect(await whenDone(page, id)).toMatchObject({
    status: 'done',
    answer: { status: 201, body: { replayed: false } },
  });
  await page.reload();
  await page.evaluate(() => window.ferryReady);
  expect(await get(page, id)).toMatchObject({ answer: { status: 201, body: { replayed: false } } });
});

test('offline: an edit goes out once, with the edit; a removed op never reaches the server; five coalesced saves are one request', async ({
  page,
  server,
}) => {
  await openApp(page, server);
  await setOnline(page, false);
  const edited = await enqueue(page, message(1));
  const removed = await enqueue(page, message(2));
  await inPage(page, (id) => window.ferry.update(id, { payload: { n: 1, edited: true } }), edited);
  await page.evaluate((id) => window.ferry.remove(id), removed);
  const saves: string[] = [];
  for (let v = 1; v <= 5; v++) {
    saves.push(
      await enqueue(page, { ...message(3, { lane: 'doc' }), payload: { n: 3, v }, coalesce: { key: 'doc:3' } }),
    );
  }
  expect(new Set(saves).size).toBe(1);
  await setOnline(page, true);
  expect(await whenDone(page, edited)).toMatchObject({ status: 'done', payload: { n: 1, edited: true } });
  expect(await whenDone(page, saves[0] as string)).toMatchObject({ status: 'done', payload: { n: 3, v: 5 } });
  expect(server.received.map((r) => r.body).sort((a, b) => body({ body: a }).n - body({ body: b }).n)).toEqual([
    { n: 1, edited: true },
    { n: 3, v: 5 },
  ]);
  expect(await get(page, removed)).toBeUndefined();
});

test('an op on the wire is not edited, removed (possibly-delivered) or coalesced into', async ({ page, server }) => {
  await openApp(page, server);
  // The first save hangs on the wire (the fixture ends it after the test).
  server.plan = (req) => (body(req).v === 1 ? 'hang' : 'pass');
  const first = await enqueue(page, {
    ...message(1, { lane: 'doc' }),
    payload: { n: 1, v: 1 },
    coalesce: { key: 'doc:1' },
  });
  await expect.poll(async () => (await get(page, first))?.status).toBe('inflight');
  const codes = await page.evaluate(async (id) => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: { code?: string }) => e.code ?? String(e),
      );
    return [await code(window.ferry.update(id, { payload: { n: 1, v: 9 } })), await code(window.ferry.remove(id))];
  }, first);
  expect(codes).toEqual(['possibly-delivered', 'possibly-delivered']);
  const second = await enqueue(page, {
    ...message(1, { lane: 'doc' }),
    payload: { n: 1, v: 2 },
    coalesce: { key: 'doc:1' },
  });
  expect(second).not.toBe(first);
  expect(await get(page, first)).toMatchObject({ status: 'inflight', payload: { n: 1, v: 1 } });
  expect(await get(page, second)).toMatchObject({ status: 'pending', payload: { n: 1, v: 2 } });
});
