import { expect, expectEachAppliedOnce, openDemo, say, setOnline, test } from './fixtures.ts';

test('messages typed offline survive a reload of the offline page and go out once, in order, when the network returns', async ({
  page,
  demo,
}) => {
  await openDemo(page, demo);
  await setOnline(page, false);
  const texts = ['first, typed offline', 'second, typed offline', 'third, typed offline'];
  for (const text of texts) await say(page, text);
  const messages = page.locator('#messages .msg');
  await expect(messages.locator('.text')).toHaveText(texts);
  await expect(messages.locator('.badge')).toHaveText(['pending', 'pending', 'pending']);

  // The page itself comes from the worker's cache: the network is still off.
  await page.reload();
  await page.evaluate(() => window.demo.ready);
  await expect(page.locator('#pill-browser')).toHaveText('browser: offline');
  await expect(messages.locator('.text')).toHaveText(texts);
  await expect(messages.locator('.badge')).toHaveText(['pending', 'pending', 'pending']);
  expect(await demo.stored()).toEqual([]);

  await setOnline(page, true);
  await expect(messages.locator('.badge')).toHaveText(['sent', 'sent', 'sent']);
  expect(await demo.stored()).toEqual(texts);
  await expectEachAppliedOnce(demo.server);
  // The backlog of one conversation went out through the batch endpoint, not one request each.
  expect(demo.server.wire.map((w) => [w.status, w.batched === true])).toEqual(texts.map(() => [201, true]));
  // The DevTools panel in the side panel lists nothing left to send.
  await expect(page.locator('ferry-devtools .queue')).toContainText('Queued ops (0)');
  await expect(page.locator('#server li .text')).toHaveText(texts);
});

test('the outage switch drops connections: the worker retries with a network error, then delivers when it is off', async ({
  page,
  demo,
}) => {
  await openDemo(page, demo);
  await page.locator('#f-offline').check();
  await expect.poll(() => demo.server.faults.offline).toBe(true);
  await say(page, 'during the outage');
  const msg = page.locator('#messages .msg');
  await expect(msg).toHaveAttribute('data-state', 'retrying');
  await expect(msg.locator('.detail')).toContainText('network error');
  expect(demo.server.wire.filter((w) => w.status === 0).length).toBeGreaterThan(0);
  expect(await demo.stored()).toEqual([]);

  await page.locator('#f-offline').uncheck();
  await expect(msg).toHaveAttribute('data-state', 'sent');
  expect(await demo.stored()).toEqual(['during the outage']);
  await expectEachAppliedOnce(demo.server);
});
