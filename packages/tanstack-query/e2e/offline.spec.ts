/**
 * The offline scenario of TanStack Query's offline example (mutations made offline, the page reloaded, the
 * mutations resumed) at scale, on Ferry and without a persister: mutations over 4 lanes (one per scope) while
 * the page reloads, the worker is killed and the server goes away and comes back. At every sample the mutation
 * cache's pending mutations are Ferry's unsettled ops; at the end none is lost, none applied twice, and each
 * lane was applied in order.
 */
import type { Page } from '@playwright/test';
import { expect, openApp, test } from '../../../e2e/fixtures.ts';
import type { Message } from './page.ts';
import { buildTq, counts, load, messages, mutate, restore, unsent } from './tq.ts';

/**
 * 200 mutations, 10 a round; a reload after every round; the worker killed in 5 rounds; the server out in 8
 * (connections reset while mutating, its API answering 503 through the reload).
 */
const ROUNDS = 20;
const PER_ROUND = 10;
const killed = (round: number): boolean => round % 4 === 1;
const serverOut = (round: number): boolean => round % 5 === 2 || round % 5 === 3;

test.beforeAll(async ({ testServer }) => {
  await buildTq(testServer.api.staticDir);
});

/** Ops Ferry holds, whatever their status: every mutation's, once its enqueue resolved. */
const stored = (page: Page): Promise<number> =>
  page.evaluate(async () => (await window.ferry.list({ limit: 10_000 })).length);

/**
 * Waits until the cache's pending mutations are Ferry's unsettled ops, as listed and as `stats()` counts them (none
 * errored); returns how many.
 */
async function sample(page: Page): Promise<number> {
  let last = { pending: -1, success: 0, error: 0, unsettled: -2 };
  await expect
    .poll(
      async () => {
        last = await counts(page);
        return last.error === 0 && last.pending === last.unsettled && (await unsent(page)) === last.pending;
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  return last.pending;
}

test('TanStack Query offline: 200 mutations over 4 lanes through 20 reloads, 5 worker kills and the server out and back: none lost, none applied twice, lane order kept, the cache counts what Ferry counts', async ({
  page,
  server,
  cdp,
}) => {
  test.setTimeout(120_000);
  await openApp(page, server, 'attempts=1000');
  await load(page);
  expect(await restore(page)).toBe(0);
  const samples: number[] = [];
  let restored = 0;
  for (let round = 0; round < ROUNDS; round++) {
    server.plan = () => 'pass';
    server.proxy.down = serverOut(round);
    await mutate(page, messages(round * PER_ROUND, (round + 1) * PER_ROUND));
    await expect.poll(() => stored(page)).toBe((round + 1) * PER_ROUND);
    if (killed(round)) await cdp.stopAll();
    samples.push(await sample(page));
    // The host is back for the reload (the test page's script is not in the worker's cache); its API still
    // answers 503 in an outage round, so the reloaded page has ops unsent that its cache must show.
    server.proxy.down = false;
    if (serverOut(round)) server.plan = () => ({ status: 503 });
    await page.reload();
    await page.evaluate(() => window.ferryReady);
    await load(page);
    restored += await restore(page);
    samples.push(await sample(page));
  }
  server.plan = () => 'pass';
  await expect.poll(() => counts(page), { timeout: 30_000 }).toMatchObject({ pending: 0, error: 0, unsettled: 0 });

  const applied = server.applied.map((a) => a.body as Message);
  expect(applied.map((m) => m.n).sort((a, b) => a - b)).toEqual(messages(0, ROUNDS * PER_ROUND).map((m) => m.n));
  for (let lane = 0; lane < 4; lane++) {
    const order = applied.filter((m) => m.lane === `lane-${lane}`).map((m) => m.n);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  }
  expect(cdp.stops).toHaveLength(5);
  // Samples caught ops unsent, and reloads came with ops unsent that the new page's cache showed again.
  expect(Math.max(...samples)).toBeGreaterThan(0);
  expect(restored).toBeGreaterThan(0);
});
