import { expect, expectEachAppliedOnce, openDemo, say, test } from './fixtures.ts';

test('a poison message fails with its reason, the ones after it are delivered, and retry delivers it once the rule is gone', async ({
  page,
  demo,
}) => {
  await openDemo(page, demo);
  await page.locator('#f-poison').fill('spam');
  await page.locator('#f-poison').press('Tab');
  await expect.poll(() => demo.server.faults.poison).toBe('spam');

  await say(page, 'hello before');
  await say(page, 'buy SPAM now');
  await say(page, 'hello after');

  const failed = page.locator('#failed .failed-op');
  await expect(failed).toHaveCount(1);
  await expect(failed.locator('.op-text')).toHaveText('buy SPAM now');
  await expect(failed.locator('.reason')).toHaveText(
    'HTTP 422 Unprocessable Entity: message rejected: it contains "spam"',
  );
  const poisoned = page.locator('#messages .msg', { hasText: 'buy SPAM now' });
  await expect(poisoned).toHaveAttribute('data-state', 'failed');
  await expect(poisoned.locator('.detail')).toContainText('it contains "spam"');
  await expect(page.locator('#messages .msg', { hasText: 'hello after' })).toHaveAttribute('data-state', 'sent');
  expect(await demo.stored()).toEqual(['hello before', 'hello after']);

  await page.locator('#f-poison').fill('');
  await page.locator('#f-poison').press('Tab');
  await expect.poll(() => demo.server.faults.poison).toBe('');
  await failed.locator('button.retry').click();

  await expect(poisoned).toHaveAttribute('data-state', 'sent');
  await expect(page.locator('#failed .failed-op')).toHaveCount(0);
  expect(await demo.stored()).toEqual(['hello before', 'hello after', 'buy SPAM now']);
  await expectEachAppliedOnce(demo.server);
});

test('remove deletes a failed message for good', async ({ page, demo }) => {
  await openDemo(page, demo);
  demo.server.setFaults({ poison: 'nope' });
  await say(page, 'nope, not this one');
  const failed = page.locator('#failed .failed-op');
  await expect(failed).toHaveCount(1);
  await failed.locator('button.remove').click();
  await expect(page.locator('#failed .failed-op')).toHaveCount(0);
  await expect(page.locator('#messages .msg')).toHaveCount(0);
  await page.reload();
  await page.evaluate(() => window.demo.ready);
  await expect(page.locator('#messages .msg')).toHaveCount(0);
  expect(await demo.stored()).toEqual([]);
});
