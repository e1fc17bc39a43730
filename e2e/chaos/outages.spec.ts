/**
 * The long scenarios with the shipped defaults (`createFerryHost({})`, no test flags), in real
 * Chromium at real-time scale. Each takes over two minutes of waiting, so they run at once, each
 * with its own server, origin and browser context (the worker of one never sees another's):
 *
 * - outage-while-online: the host is down for over two minutes while the browser says online
 *   (every connection, the API's and the origin's own, is destroyed); nothing fails, and everything
 *   is delivered once, in order, when the server is back.
 * - gateway-outage: the API is down behind a proxy for over two minutes while the browser stays
 *   online: every request is answered `502 Bad Gateway` for the first half and `503` without
 *   `Retry-After` (then `504`) after, as nginx, a load balancer or Vite's dev proxy answer for a dead
 *   upstream. Nothing fails, no attempt is spent, and everything is delivered once, in order, when
 *   the API is back.
 * - poison-hang-one-lane (a 15 s timeout, 8 attempts): the server never answers one op (it hangs)
 *   while answering everything else, in the only busy lane, the case of every app that names no
 *   lanes. Nothing else is in flight to show the origin is up, so the worker asks the origin itself
 *   (`HEAD /`): it answers, the silence is the op's own, and the op ends as a dead letter after its 8
 *   attempts (about two and a half minutes); the ops behind it go out.
 */
import type { Page } from '@playwright/test';
import { buildApp } from '../app/build.ts';
import { TestServer, json } from '../server/TestServer.ts';
import type { Fault } from '../server/TestServer.ts';
import { expect, openApp, test } from '../fixtures.ts';
import { inPage } from '../lib.ts';
import { laneOps, seeded, settled, sleep, storedOps, verdict } from './harness.ts';

type Scenario = (page: Page, server: TestServer) => Promise<void>;

const outageWhileOnline: Scenario = async (page, server) => {
  const msgs = (prefix: string, n: number, lanes: number) => laneOps('defaults', prefix, n, lanes);
  const SCENARIO = 'outage-while-online';
  const started = Date.now();
  await openApp(page, server, 'defaults');
  server.proxy.down = true;
  const acked = await inPage(
    page,
    (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))),
    msgs('outage', 20, 4),
  );
  await sleep(125_000);
  const during = await storedOps(page);
  expect(
    during.filter((o) => o.status === 'failed').map((o) => o.lastError?.message),
    seeded('failed during the outage'),
  ).toEqual([]);
  expect(
    during.every((o) => o.attempt === 0),
    seeded('attempts spent while nothing answered'),
  ).toBe(true);
  const refused = server.proxy.downRequests;
  expect(refused, 'the worker kept trying during the outage').toBeGreaterThan(4);
  server.proxy.down = false;
  // The backoff is capped at 30 s (full jitter): every lane tries again within that.
  await settled(page, acked, 90_000, SCENARIO);
  await verdict(SCENARIO, server, acked, await storedOps(page), {
    extra: { outageMs: 125_000, requestsDuringOutage: refused, durationMs: Date.now() - started },
  });
};

const gatewayOutage: Scenario = async (page, server) => {
  const msgs = (prefix: string, n: number, lanes: number) => laneOps('gateway', prefix, n, lanes);
  const SCENARIO = 'gateway-outage';
  const started = Date.now();
  await openApp(page, server, 'defaults');
  const OUTAGE_MS = 125_000;
  const answers: Record<number, number> = {};
  let down = true;
  server.plan = (): Fault => {
    if (!down) return 'pass';
    const status =
      Date.now() - started < OUTAGE_MS / 2
        ? 502
        : answers[503] === undefined || (answers[503] ?? 0) <= (answers[504] ?? 0)
          ? 503
          : 504;
    answers[status] = (answers[status] ?? 0) + 1;
    return json(status, { error: status === 502 ? 'Bad Gateway' : 'upstream unavailable' });
  };
  const acked = await inPage(page, (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))), msgs('gw', 20, 4));
  await sleep(OUTAGE_MS - (Date.now() - started));
  const during = await storedOps(page);
  expect(
    during.filter((o) => o.status === 'failed').map((o) => o.lastError?.message),
    seeded('failed during the outage'),
  ).toEqual([]);
  expect(
    during.filter((o) => o.attempt > 0).map((o) => `${o.id}: attempt ${o.attempt}, ${o.lastError?.message}`),
    seeded('attempts spent on gateway answers'),
  ).toEqual([]);
  expect(answers[502], 'the worker kept trying during the 502s').toBeGreaterThan(2);
  expect((answers[503] ?? 0) + (answers[504] ?? 0), 'and during the 503s and 504s').toBeGreaterThan(2);
  const requestsDuringOutage = server.received.length;
  down = false;
  // The backoff is capped at 30 s (full jitter): every lane tries again within that.
  await settled(page, acked, 90_000, SCENARIO);
  await verdict(SCENARIO, server, acked, await storedOps(page), {
    extra: { outageMs: OUTAGE_MS, answers, requestsDuringOutage, durationMs: Date.now() - started },
  });
};

const poisonHangOneLane: Scenario = async (page, server) => {
  const SCENARIO = 'poison-hang-one-lane';
  const started = Date.now();
  await openApp(page, server, 'defaults');
  server.plan = (req): Fault => ((req.body as { tag?: string }).tag === 'quiet-0' ? 'hang' : 'pass');
  const ops = Array.from({ length: 4 }, (_, n) => ({
    kind: 'chaos.quiet',
    target: '/api/quiet',
    payload: { tag: `quiet-${n}` },
  }));
  const acked = await inPage(page, (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))), ops);
  await settled(page, acked, 330_000, SCENARIO);
  const stored = await storedOps(page);
  const poison = stored.find((o) => o.id === acked[0]);
  expect(poison, seeded('the op the server never answers')).toMatchObject({ status: 'failed', attempt: 8 });
  expect(poison?.lastError?.message, 'its reason').toMatch(/timeout/);
  // The harness checks the ops behind it (the poison op failed on silences: no answer to match its reason to).
  await verdict(SCENARIO, server, acked.slice(1), stored, { extra: { durationMs: Date.now() - started } });
  expect(
    stored.filter((o) => o.id !== acked[0]).map((o) => o.status),
    seeded('the ops behind it'),
  ).toEqual(['done', 'done', 'done']);
  expect(server.applied.map((a) => (a.body as { tag: string }).tag)).toEqual(['quiet-1', 'quiet-2', 'quiet-3']);
};

test('outage-while-online, gateway-outage and poison-hang-one-lane, at once: nothing parked or failed by an outage; a silent op is a dead letter, the rest delivered', async ({
  browser,
}) => {
  test.setTimeout(420_000);
  const app = await buildApp();
  const run = async (scenario: Scenario): Promise<void> => {
    const server = await TestServer.start(app);
    const context = await browser.newContext();
    try {
      await scenario(await context.newPage(), server);
    } finally {
      await context.close();
      await server.close();
    }
  };
  const results = await Promise.allSettled([outageWhileOnline, gatewayOutage, poisonHangOneLane].map(run));
  for (const result of results) if (result.status === 'rejected') throw result.reason;
});
