import { expect, openDemo, say, setOnline, test } from './fixtures.ts';

test('conversations with unsent counts; a message edited or removed before it is sent; the server number from the kept answer', async ({
  page,
  demo,
}) => {
  await openDemo(page, demo);
  await setOnline(page, false);
  await say(page, 'typo in genral');
  await say(page, 'never mind');
  await page.locator('.conv[data-lane="random"]').click();
  await expect(page.locator('#conv-title')).toHaveText('# random');
  await say(page, 'over in random');
  await expect(page.locator('.conv[data-lane="general"] .unsent')).toHaveText('2');
  await expect(page.locator('.conv[data-lane="random"] .unsent')).toHaveText('1');

  await page.locator('.conv[data-lane="general"]').click();
  page.once('dialog', (d) => void d.accept('typo in general, fixed'));
  await page.locator('#messages .msg', { hasText: 'typo in genral' }).locator('button.edit').click();
  await expect(page.locator('#messages .msg .text').first()).toHaveText('typo in general, fixed');
  await page.locator('#messages .msg', { hasText: 'never mind' }).locator('button.remove').click();
  await expect(page.locator('#messages .msg .text')).toHaveText(['typo in general, fixed']);
  await expect(page.locator('.conv[data-lane="general"] .unsent')).toHaveText('1');

  await setOnline(page, true);
  await expect.poll(async () => (await demo.stored()).sort()).toEqual(['over in random', 'typo in general, fixed']);
  await expect(page.locator('.conv .unsent')).toHaveCount(0);
  await expect(page.locator('#messages .msg .server-id')).toHaveText(/^#\d+$/);
});
