/**
 * The invariant check itself, on made-up server records: a check that
 * cannot fail would make every chaos scenario pass, so here each kind of violation is shown counted.
 * No browser.
 */
import { expect, test } from '@playwright/test';
import type { Operation } from '../../packages/core/src/index.ts';
import type { Applied, LoggedRequest } from '../server/TestServer.ts';
import { check } from './harness.ts';

const op = (n: number, over: Partial<Operation> = {}): Operation => ({
  id: `id${n}`,
  kind: 'k',
  target: '/api/x',
  method: 'POST',
  payload: { tag: `t${n}` },
  lane: 'a',
  idempotencyKey: `k${n}`,
  status: 'done',
  seq: n,
  attempt: 1,
  nextAttemptAt: 0,
  createdAt: 0,
  updatedAt: 0,
  ...over,
});
const req = (n: number, at: number, over: Partial<LoggedRequest> = {}): LoggedRequest => ({
  method: 'POST',
  path: '/api/x',
  key: `k${n}`,
  headers: {},
  body: { tag: `t${n}` },
  at,
  fault: 'pass',
  outcome: 201,
  ...over,
});
const app = (n: number, key = `k${n}`): Applied => ({ key, path: '/api/x', body: { tag: `t${n}` }, at: 0, user: null });

test('the invariant check counts each kind of violation', () => {
  const ops = [op(1), op(2), op(3)];
  const clean = check(
    { received: [req(1, 1), req(2, 2), req(3, 3)], applied: [app(1), app(2), app(3)] },
    ['id1', 'id2', 'id3'],
    ops,
  );
  expect(clean.counts).toMatchObject({
    ops: 3,
    wireRequests: 3,
    duplicatesOnWire: 0,
    duplicatesApplied: 0,
    lost: 0,
    orderViolations: 0,
    earlyRetries: 0,
  });

  // Seen out of order, op 3 never applied, op 1 applied under two keys, op 2 resent before its Retry-After.
  const bad = check(
    {
      received: [
        req(2, 1, { outcome: 429, answeredAt: 2, retryAfterMs: 1000 }),
        req(1, 5),
        req(2, 500),
        req(3, 2000, { outcome: 503 }),
      ],
      applied: [app(1), app(1, 'other'), app(2)],
    },
    ['id1', 'id2', 'id3', 'id4'],
    [op(1), op(2), op(3, { status: 'pending' })],
  );
  expect(bad.counts).toMatchObject({
    duplicatesOnWire: 1,
    duplicatesApplied: 1,
    lost: 2,
    orderViolations: 1,
    earlyRetries: 1,
  });
  // A worker being stopped between the 429's request and the resend excuses it (the new worker never heard
  // the answer); a stop over before the request was sent, or after the resend, does not.
  const stopped = (from: number, to: number) =>
    check(
      { received: [req(2, 10, { outcome: 429, answeredAt: 12, retryAfterMs: 1000 }), req(2, 500)], applied: [app(2)] },
      ['id2'],
      [op(2)],
      new Set(),
      [[from, to]],
    );
  expect(stopped(100, 120).counts.earlyRetries).toBe(0);
  expect(stopped(5, 11).counts.earlyRetries).toBe(0);
  expect(stopped(0, 5).counts.earlyRetries).toBe(1);
  expect(stopped(600, 700).counts.earlyRetries).toBe(1);

  // A planned rejection counts as failed, not lost, only with the server's own status.
  const rejected = op(1, {
    status: 'failed',
    lastError: { message: 'HTTP 400', status: 400, retryable: false, at: 0 },
  });
  const ok = check({ received: [req(1, 1, { outcome: 400 })], applied: [] }, ['id1'], [rejected], new Set(['id1']));
  expect(ok.counts).toMatchObject({ lost: 0, failed: 1 });
  const wrong = check({ received: [req(1, 1, { outcome: 503 })], applied: [] }, ['id1'], [rejected], new Set(['id1']));
  expect(wrong.counts).toMatchObject({ lost: 1, failed: 0 });
});
