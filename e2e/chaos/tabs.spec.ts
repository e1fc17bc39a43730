/**
 * Fault 5: three tabs enqueueing at once while the worker drains. Every tab
 * talks to the same worker; the outbox orders each lane by seq.
 */
import type { Page } from '@playwright/test';
import { expect, openApp, test } from '../fixtures.ts';
import { inPage } from '../lib.ts';
import { rngFor, seeded, settled, storedOps, verdict } from './harness.ts';

const SCENARIO = 'three-tabs';
const LANES = ['a', 'b', 'c'];

test(`${SCENARIO}: three tabs enqueue at once while the worker drains`, async ({ context, page, server }) => {
  test.setTimeout(120_000);
  const rng = rngFor(SCENARIO);
  const started = Date.now();
  const tabs = [page, await context.newPage(), await context.newPage()];
  for (const tab of tabs) await openApp(tab, server);
  server.plan = () => ({ latencyMs: rng.int(2, 20) });

  const PER_TAB = 100;
  // Each tab's own plan, drawn up front so the seed fixes it: lanes, and bursts of 1–8 enqueues at once.
  const plans = tabs.map((_, t) => {
    const ops = Array.from({ length: PER_TAB }, (_, i) => {
      const lane = rng.pick(LANES);
      return { kind: 'chaos.tabs', target: '/api/tabs', lane, payload: { tag: `tab-${t}-${i}`, tab: t, i, lane } };
    });
    const bursts: number[] = [];
    for (let left = PER_TAB; left > 0;) {
      const b = Math.min(left, rng.int(1, 8));
      bursts.push(b);
      left -= b;
    }
    return { ops, bursts };
  });
  const run = (tab: Page, plan: (typeof plans)[number]): Promise<string[]> =>
    inPage(
      tab,
      async ({ ops, bursts }) => {
        const ids: string[] = [];
        let at = 0;
        for (const b of bursts) {
          ids.push(...(await Promise.all(ops.slice(at, at + b).map((op) => window.ferry.enqueue(op)))));
          at += b;
        }
        return ids;
      },
      plan,
    );
  const acked = (await Promise.all(tabs.map((tab, t) => run(tab, plans[t]!)))).flat();
  await settled(page, acked, 60_000, SCENARIO);
  const stored = await storedOps(page);

  // Each tab's own enqueue order holds within a lane on the server too.
  const bodies = server.received.map((r) => r.body as { tab: number; i: number; lane: string });
  for (const lane of LANES) {
    for (let t = 0; t < tabs.length; t++) {
      const is = bodies.filter((b) => b.lane === lane && b.tab === t).map((b) => b.i);
      expect(is, seeded(`tab ${t}, lane ${lane}: the server saw the tab's ops out of order`)).toEqual(
        [...is].sort((x, y) => x - y),
      );
    }
  }
  await verdict(SCENARIO, server, acked, stored, {
    noWireDuplicates: true,
    extra: { tabs: tabs.length, durationMs: Date.now() - started },
  });
});
