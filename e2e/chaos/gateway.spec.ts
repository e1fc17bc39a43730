/**
 * Answers real deployments give, in real Chromium with the shipped defaults
 * (`createFerryHost({})`, no test flags):
 *
 * - gateway-outage: the API is down behind a proxy for over two minutes while
 *   the browser stays online: every request is answered `502 Bad Gateway`
 *   for the first half and `503` without `Retry-After` (then `504`) after, as
 *   nginx, a load balancer or Vite's dev proxy answer for a dead upstream.
 *   Nothing fails, no attempt is spent, and everything is delivered once, in
 *   order, when the API is back.
 * - app-409: the app's own `409 Conflict` (no `Retry-After`, not the
 *   Idempotency-Key draft's "in use") is a dead letter with the server's body
 *   kept on the op; its lane goes on.
 */
import { json } from '../server/TestServer.ts';
import type { Fault } from '../server/TestServer.ts';
import { expect, openApp, test } from '../fixtures.ts';
import { inPage } from '../lib.ts';
import { laneOps, seeded, settled, sleep, storedOps, verdict } from './harness.ts';

const msgs = (prefix: string, n: number, lanes: number) => laneOps('gateway', prefix, n, lanes);

test('gateway-outage: two minutes of 502, then 503 without Retry-After and 504, fail nothing; all delivered in order after', async ({
  page,
  server,
}) => {
  test.setTimeout(300_000);
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
});

test("app-409: the app's own 409 is a dead letter with the server's body; its lane goes on", async ({
  page,
  server,
}) => {
  test.setTimeout(120_000);
  const SCENARIO = 'app-409';
  const started = Date.now();
  await openApp(page, server, 'defaults');
  const conflict = { error: 'version conflict', current: { version: 3, title: 'edited elsewhere' } };
  server.plan = (req): Fault => ((req.body as { tag?: string }).tag === 'doc-0' ? json(409, conflict) : 'pass');
  const acked = await inPage(page, (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))), msgs('doc', 4, 1));
  await settled(page, acked, 60_000, SCENARIO);
  const stored = await storedOps(page);
  const first = stored.find((o) => (o.payload as { tag: string }).tag === 'doc-0');
  expect(first, seeded('the op answered 409')).toMatchObject({
    status: 'failed',
    lastError: { status: 409, retryable: false },
    answer: { status: 409, body: conflict },
  });
  expect(server.sent(first!.idempotencyKey), 'sent once: a conflict is not retried').toHaveLength(1);
  expect(
    stored.filter((o) => o.id !== first!.id).map((o) => o.status),
    seeded('the rest of the lane'),
  ).toEqual(['done', 'done', 'done']);
  await verdict(SCENARIO, server, acked, stored, {
    mayFail: new Set([first!.id]),
    extra: { durationMs: Date.now() - started },
  });
});
