import { expect, openApp, setOnline, test } from './fixtures.ts';
import { enqueue, get, message } from './lib.ts';

test('an op enqueued offline survives a reload, stays pending, and is delivered once back online; whenDone resolves in the reloaded page', async ({
  page,
  context,
  server,
}) => {
  await openApp(page, server);
  await setOnline(page, false);
  const id = await enqueue(page, message(1));
  expect((await get(page, id))?.status).toBe('pending');

  // The page reloads from the worker's app-shell cache; the op is in IndexedDB.
  await page.reload();
  await page.evaluate(() => window.ferryReady);
  const after = await get(page, id);
  expect(after).toMatchObject({ id, status: 'pending', attempt: 0 });
  expect(server.received).toHaveLength(0);

  const done = page.evaluate((id) => window.ferry.whenDone(id), id);
  // The page forwards `online` to the worker.
  await context.setOffline(false);
  expect(await done).toMatchObject({ id, status: 'done' });
  expect(server.received).toHaveLength(1);
  expect(server.received[0]).toMatchObject({
    method: 'POST',
    path: '/api/messages',
    key: after?.idempotencyKey,
    body: { n: 1 },
  });
  expect(server.applied).toHaveLength(1);
});
