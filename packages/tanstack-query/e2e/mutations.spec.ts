/**
 * TanStack Query mutations on Ferry in Chromium, over the repository's test app and server
 * (e2e/fixtures.ts): sends that hang, a reload while ops are in flight, a worker killed,
 * answers lost after the server applied them.
 */
import { expect, openApp, test } from '../../../e2e/fixtures.ts';
import type { Message } from '../../../e2e/scenario/offline.ts';
import { buildTq, counts, load, messages, mutate, restore } from './tq.ts';

test.beforeAll(async ({ testServer }) => {
  await buildTq(testServer.api.staticDir);
});

test('mutations across 4 lanes survive a reload mid-send and a worker kill: none lost, none applied twice, lane order kept, the cache counts what Ferry counts', async ({
  page,
  server,
  cdp,
}) => {
  // Hung sends time out after 500 ms and count as attempts: enough attempts that none becomes a dead letter.
  await openApp(page, server, 'sendTimeout=500&attempts=1000');
  await load(page);
  expect(await restore(page)).toBe(0);
  // Every send hangs: nothing is applied, and ops go in flight and back.
  server.plan = () => 'hang';
  await mutate(page, messages(0, 20));
  await expect.poll(() => counts(page)).toMatchObject({ pending: 20, unsettled: 20 });
  await expect.poll(() => server.received.length).toBeGreaterThan(0);

  // The reload, with sends on the wire: the new page's cache shows the 20 again.
  await page.reload();
  await page.evaluate(() => window.ferryReady);
  await load(page);
  expect(await restore(page)).toBe(20);
  expect(await counts(page)).toMatchObject({ pending: 20, success: 0, error: 0, unsettled: 20 });
  await mutate(page, messages(20, 40));
  await expect.poll(() => counts(page)).toMatchObject({ pending: 40, unsettled: 40 });

  // The worker dies; the server comes back, and loses its answer to the first send of every fifth op.
  await cdp.stopAll();
  server.plan = (req, nth) => ((req.body as Message).n % 5 === 0 && nth === 1 ? 'apply-and-drop' : 'pass');
  await page.evaluate(() => window.ferry.kick());
  await expect
    .poll(() => counts(page), { timeout: 30_000 })
    .toEqual({ pending: 0, success: 40, error: 0, unsettled: 0 });

  const applied = server.applied.map((a) => a.body as Message);
  expect(applied.map((m) => m.n).sort((a, b) => a - b)).toEqual(messages(0, 40).map((m) => m.n));
  for (let lane = 0; lane < 4; lane++) {
    const order = applied.filter((m) => m.lane === `lane-${lane}`).map((m) => m.n);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  }
});
