/**
 * Delivery with the shipped defaults, in real Chromium, at real-time scale:
 * the worker is built with `createFerryHost({})` (no test flags), so backoff,
 * attempt budget, timeouts and leases are what an app gets. The two-minute
 * outages are in outages.spec.ts.
 *
 * - slow-server: every answer takes 14 s (under the 15 s timeout) with 32 busy
 *   lanes: no op is ever on the wire twice, none is a dead letter.
 * - in-progress-409: the server answers 409 + Retry-After while the "first
 *   request" with a key runs: the op is delivered and its lane keeps its order.
 * - retry-after-origin: a 429 with Retry-After on one lane pauses the others
 *   sending to that origin until then.
 */
import type { Fault, PlannedRequest } from '../server/TestServer.ts';
import { expect, openApp, test } from '../fixtures.ts';
import { inPage } from '../lib.ts';
import { laneOps, seeded, settled, storedOps, verdict } from './harness.ts';

const msgs = (prefix: string, n: number, lanes: number) => laneOps('defaults', prefix, n, lanes);

test('slow-server: answers in 14 s with 32 busy lanes; never two sends of one op, no dead letter', async ({
  page,
  server,
}) => {
  test.setTimeout(300_000);
  const SCENARIO = 'slow-server';
  const started = Date.now();
  await openApp(page, server, 'defaults');
  const onWire = new Map<string, number>();
  let twice = 0;
  server.plan = (req: PlannedRequest): Fault => {
    const key = req.key ?? '';
    const n = (onWire.get(key) ?? 0) + 1;
    if (n > 1) twice++;
    onWire.set(key, n);
    setTimeout(() => onWire.set(key, (onWire.get(key) ?? 1) - 1), 14_000);
    return { latencyMs: 14_000 };
  };
  const acked = await inPage(
    page,
    (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))),
    msgs('slow', 32, 32),
  );
  await settled(page, acked, 200_000, SCENARIO);
  const stored = await storedOps(page);
  expect(
    stored.filter((o) => o.status === 'failed'),
    seeded('dead letters'),
  ).toEqual([]);
  expect(twice, seeded('an op on the wire twice at once')).toBe(0);
  await verdict(SCENARIO, server, acked, stored, {
    noWireDuplicates: true,
    extra: { latencyMs: 14_000, durationMs: Date.now() - started },
  });
});

test('in-progress-409: a 409 while the first request with the key runs is waited out; the lane keeps its order', async ({
  page,
  server,
}) => {
  test.setTimeout(120_000);
  const SCENARIO = 'in-progress-409';
  const started = Date.now();
  await openApp(page, server, 'defaults');
  const ops = msgs('busy', 6, 2);
  server.plan = (req, nth): Fault =>
    (req.body as { tag?: string }).tag === 'busy-0' && nth <= 3
      ? { status: 409, headers: { 'Retry-After': '1' } }
      : 'pass';
  const acked = await inPage(page, (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))), ops);
  await settled(page, acked, 60_000, SCENARIO);
  const stored = await storedOps(page);
  const first = stored.find((o) => (o.payload as { tag: string }).tag === 'busy-0');
  expect(first, seeded('the op answered 409')).toMatchObject({ status: 'done', attempt: 1 });
  expect(server.sent(first!.idempotencyKey)).toHaveLength(4);
  await verdict(SCENARIO, server, acked, stored, { extra: { conflicts: 3, durationMs: Date.now() - started } });
});

test('retry-after-origin: a 429 with Retry-After on one lane pauses every lane to that origin until then', async ({
  page,
  server,
}) => {
  test.setTimeout(120_000);
  const SCENARIO = 'retry-after-origin';
  const started = Date.now();
  await openApp(page, server, 'defaults');
  server.plan = (req, nth): Fault =>
    (req.body as { tag?: string }).tag === 'pause-0' && nth === 1
      ? { status: 429, headers: { 'Retry-After': '3' } }
      : 'pass';
  const [first] = await inPage(
    page,
    (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))),
    msgs('pause', 1, 1),
  );
  await expect.poll(() => server.received[0]?.answeredAt, { timeout: 10_000 }).toBeDefined();
  const pausedAt = server.received[0]!.answeredAt!;
  // Other lanes, queued while the origin asked to be left alone.
  const others = await inPage(
    page,
    (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))),
    msgs('pause', 4, 4)
      .slice(1)
      .map((op) => ({ ...op, payload: { ...op.payload, tag: `${op.payload.tag}-other` } })),
  );
  const acked = [first!, ...others];
  await settled(page, acked, 60_000, SCENARIO);
  const early = server.received.slice(1).filter((r) => r.at < pausedAt + 3_000);
  expect(
    early.map((r) => `${(r.body as { tag: string }).tag} ${r.at - pausedAt} ms after the 429`),
    seeded('sent during the pause'),
  ).toEqual([]);
  await verdict(SCENARIO, server, acked, await storedOps(page), {
    extra: { retryAfterMs: 3_000, durationMs: Date.now() - started },
  });
});
