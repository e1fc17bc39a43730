/**
 * Answers real deployments give, in real Chromium with the shipped defaults
 * (`createFerryHost({})`, no test flags):
 *
 * - app-409: the app's own `409 Conflict` (no `Retry-After`, not the
 *   Idempotency-Key draft's "in use") is a dead letter with the server's body
 *   kept on the op; its lane goes on.
 */
import { json } from '../server/TestServer.ts';
import type { Fault } from '../server/TestServer.ts';
import { expect, openApp, test } from '../fixtures.ts';
import { inPage } from '../lib.ts';
import { laneOps, seeded, settled, storedOps, verdict } from './harness.ts';

const msgs = (prefix: string, n: number, lanes: number) => laneOps('gateway', prefix, n, lanes);

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
