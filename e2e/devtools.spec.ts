/**
 * The DevTools panel against the real worker, in two tabs: every WAL transition of an op (failures, a dead
 * letter, the retry from the panel, the delivery) appears in each tab's panel, as many rows as the change feed
 * saw records; a dead letter retried from the panel is delivered; "unreachable for 10 s" parks nothing and
 * delays delivery by about 10 s.
 */
import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures.ts';
import { enqueue, get, message } from './lib.ts';
import { json } from './server/TestServer.ts';

const rows = (page: Page) => page.locator('ferry-devtools .history tr[data-lsn]');
/** The record types the panel lists for the selected op. */
const types = (page: Page) => rows(page).evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset['type']));
/** The types of the changes this tab's client saw for `id`, from the page's first load on. */
const seen = (page: Page, id: string) =>
  page.evaluate((id) => window.changes.filter((c) => c.op.id === id).map((c) => c.type), id);

test('every WAL transition of an op shows in the panel of two tabs; a dead letter retried there is delivered', async ({
  page,
  context,
  server,
}) => {
  const tabs = [page, await context.newPage()];
  for (const tab of tabs) await openApp(tab, server, 'devtools&attempts=5');
  // Op 1: a 503 (retried), then a 422 (a dead letter); sent again after the retry, it passes.
  const answers = [json(503, { error: 'busy' }), json(422, { error: 'text too long' })];
  server.plan = (req) => ((req.body as { n?: number }).n === 1 ? (answers.shift() ?? 'pass') : 'pass');
  const id = await enqueue(tabs[0]!, message(1, { lane: 'chat' }));
  // Another op from the other tab, delivered at once: its records are not op 1's.
  await enqueue(tabs[1]!, message(2, { lane: 'other' }));
  await expect.poll(async () => (await get(tabs[0]!, id))?.status, { timeout: 10_000 }).toBe('failed');

  // The dead letter shows in the other tab's panel, is selected there and retried with its button.
  const other = tabs[1]!;
  const dead = other.locator(`ferry-devtools .dead tr[data-op="${id}"]`);
  await expect(dead).toBeVisible();
  await dead.click();
  await expect.poll(() => types(other)).toEqual(['put', 'claim', 'retry', 'claim', 'fail']);
  await other.locator('ferry-devtools .history button.retry').click();
  await expect.poll(async () => (await get(tabs[0]!, id))?.status, { timeout: 10_000 }).toBe('done');

  const expected = ['put', 'claim', 'retry', 'claim', 'fail', 'requeue', 'claim', 'done'];
  await expect.poll(() => seen(tabs[0]!, id)).toEqual(expected);
  // In each tab's panel: the op's whole history, a row per record the change feed carried.
  await tabs[0]!.evaluate(
    (id) => (document.querySelector('ferry-devtools') as never as { select(id: string): void }).select(id),
    id,
  );
  for (const tab of tabs) await expect.poll(() => types(tab)).toEqual(expected);
  await expect(other.locator('ferry-devtools .history .answer')).toContainText('answer 201');
  expect(server.received.filter((r) => (r.body as { n?: number }).n === 1)).toHaveLength(3);
});

test('"unreachable for 10 s" from the panel parks nothing, sends nothing meanwhile, and delivery follows by itself', async ({
  page,
  context,
  server,
}) => {
  const tabs = [page, await context.newPage()];
  for (const tab of tabs) await openApp(tab, server, 'devtools');
  const origin = new URL(page.url()).origin;
  await page.locator('ferry-devtools input.pause-seconds').fill('10');
  await page.locator('ferry-devtools button.pause').click();
  // Both tabs' panels show the pause of the app's origin.
  for (const tab of tabs)
    await expect(tab.locator(`ferry-devtools li.paused[data-origin="${origin}"]`)).toContainText('paused for');
  const pausedAt = Date.now();
  const id = await enqueue(tabs[1]!, message(3, { lane: 'offline' }));
  const ofOp = () => server.received.filter((r) => (r.body as { n?: number }).n === 3);
  // Well inside the window: waiting as it was, nothing spent, nothing on the wire.
  await expect.poll(() => seen(page, id)).toEqual(['put', 'defer']);
  await page.waitForTimeout(Math.max(0, pausedAt + 6_000 - Date.now()));
  expect(await get(page, id)).toMatchObject({ status: 'pending', attempt: 0 });
  expect(ofOp()).toEqual([]);
  await expect.poll(async () => (await get(page, id))?.status, { timeout: 25_000 }).toBe('done');
  const delay = ofOp()[0]!.at - pausedAt;
  expect(delay).toBeGreaterThan(8_000);
  expect(delay).toBeLessThan(20_000);
  expect(ofOp()).toHaveLength(1);
  expect(await seen(page, id)).toEqual(['put', 'defer', 'claim', 'done']);
  await expect(page.locator('ferry-devtools li.paused')).toHaveCount(0);
});
