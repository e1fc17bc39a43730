import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures.ts';
import type { LoggedRequest } from './server/TestServer.ts';
import { enqueue, inPage, message } from './lib.ts';

test('a worker killed mid-drain loses nothing, and the server applies each op once', async ({ page, server, cdp }) => {
  await openApp(page, server);
  // The first send of op 1 is applied by the server but its answer never arrives: the worker dies first.
  server.plan = (req, nth) => ((req.body as { n: number }).n === 1 && nth === 1 ? 'apply-and-hang' : 'pass');
  const ids = await inPage(
    page,
    (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))),
    [1, 2, 3].map((n) => message(n)),
  );
  await expect.poll(() => server.received.length).toBe(1);
  await cdp.stopAll();

  // The next request starts a new worker: it takes the lock, takes back op 1 and resends it.
  const done = await page.evaluate((ids) => Promise.all(ids.map((id) => window.ferry.whenDone(id))), ids);
  expect(done.map((op) => op.status)).toEqual(['done', 'done', 'done']);
  const key1 = done[0]?.idempotencyKey ?? '';
  expect(server.sent(key1)).toHaveLength(2);
  expect(server.received).toHaveLength(4);
  // Once per op, in lane order.
  expect(server.applied.map((a) => (a.body as { n: number }).n)).toEqual([1, 2, 3]);
  expect(new Set(server.applied.map((a) => a.key)).size).toBe(3);
});

for (const mode of ['worker', 'page'] as const) {
  test(`two tabs enqueueing while the ${mode === 'page' ? 'tabs themselves (page mode)' : 'worker'} drain: each op sent once, lane order kept`, async ({
    context,
    page,
    server,
  }) => {
    const flags = mode === 'page' ? 'mode=page' : '';
    const page2 = await context.newPage();
    await openApp(page, server, flags);
    await openApp(page2, server, flags);
    // Slow answers, so that the drain overlaps the enqueues; the very first one slower still.
    server.plan = () => ({ latencyMs: server.received.length === 1 ? 400 : 15 });
    const N = 12;
    const burst = (tab: Page, name: string) =>
      tab.evaluate(
        async ({ name, N }) => {
          const ids: string[] = [];
          for (let i = 0; i < N; i++) {
            const lane = i % 2 ? 'odd' : 'even';
            ids.push(
              await window.ferry.enqueue({ kind: 'k', target: '/api/t', lane, payload: { tab: name, i, lane } }),
            );
          }
          return ids;
        },
        { name, N },
      );
    // One op in flight first: a tab that drained it without holding the lock would take it back and resend it.
    const first = await enqueue(page, {
      kind: 'k',
      target: '/api/t',
      lane: 'even',
      payload: { tab: 'A', i: -1, lane: 'even' },
    });
    await expect.poll(() => server.received.length).toBe(1);
    const [a, b] = await Promise.all([burst(page, 'A'), burst(page2, 'B')]);
    const all = [first, ...a, ...b];
    await expect.poll(() => server.applied.length, { timeout: 20_000 }).toBe(2 * N + 1);
    await expect
      .poll(() => page.evaluate(() => window.ferry.stats()))
      .toMatchObject({ done: 2 * N + 1, pending: 0, inflight: 0 });

    // No op sent twice: one request per key, and every key is one of ours.
    const ops = await page.evaluate(() => window.ferry.list());
    expect(ops.map((o) => o.id).sort()).toEqual(all.sort());
    expect(server.received).toHaveLength(2 * N + 1);
    expect(new Set(server.received.map((r) => r.key)).size).toBe(2 * N + 1);

    // Per lane, the server saw the ops in enqueue (seq) order, which keeps each tab's own order.
    const keyOrder = (lane: string) =>
      ops
        .filter((o) => o.lane === lane)
        .sort((x, y) => x.seq - y.seq)
        .map((o) => o.idempotencyKey);
    const arrived = (lane: string) =>
      server.received.filter((r: LoggedRequest) => (r.body as { lane: string }).lane === lane).map((r) => r.key);
    for (const lane of ['odd', 'even']) {
      expect(arrived(lane)).toEqual(keyOrder(lane));
      for (const tab of ['A', 'B']) {
        const is = server.received
          .map((r) => r.body as { tab: string; i: number; lane: string })
          .filter((x) => x.lane === lane && x.tab === tab)
          .map((x) => x.i);
        expect(is).toEqual([...is].sort((x, y) => x - y));
      }
    }
  });
}
