/**
 * Fault 6: poison ops in a busy lane. One the server always rejects (400),
 * one it always answers 500 until the op runs out of attempts. Each ends
 * `failed` with the server's reason; the ops behind them in the lane, and the
 * other lanes, are delivered in order.
 */
import { expect, openApp, test } from '../fixtures.ts';
import { inPage } from '../lib.ts';
import { rngFor, seeded, settled, storedOps, verdict } from './harness.ts';

for (const { SCENARIO, flags } of [
  { SCENARIO: 'poison-op', flags: '' },
  { SCENARIO: 'poison-op-batched', flags: '&batch=10' },
]) {
  test(`${SCENARIO}: a 400 and an always-500 op in a busy lane fail alone`, async ({ page, server }) => {
    test.setTimeout(120_000);
    const rng = rngFor(SCENARIO);
    const started = Date.now();
    // The test worker's default budget: 5 attempts, 100 ms → 1 s backoff.
    await openApp(page, server, flags.slice(1));
    const N = 150;
    const rejected = rng.int(10, 60);
    const exhausted = rng.int(70, 130);
    server.plan = (req) => {
      const tag = (req.body as { tag?: string }).tag;
      if (tag === `poison-${rejected}`) return { status: 400 };
      if (tag === `poison-${exhausted}`) return { status: 500 };
      return { latencyMs: rng.int(1, 10) };
    };
    const ops = Array.from({ length: N }, (_, n) => {
      // Two thirds in the busy lane, the poison ops always.
      const lane = n === rejected || n === exhausted || rng() < 2 / 3 ? 'hot' : 'side';
      return { kind: 'chaos.poison', target: '/api/poison', lane, payload: { tag: `poison-${n}`, lane, n } };
    });
    const acked = await inPage(page, (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))), ops);
    const mayFail = new Set([acked[rejected]!, acked[exhausted]!]);
    await settled(page, acked, 60_000, SCENARIO);
    const stored = await storedOps(page);
    const byId = new Map(stored.map((o) => [o.id, o]));
    expect(byId.get(acked[rejected]!), seeded('the 400 op')).toMatchObject({
      status: 'failed',
      attempt: 1,
      lastError: { status: 400, retryable: false },
    });
    expect(byId.get(acked[exhausted]!), seeded('the always-500 op')).toMatchObject({
      status: 'failed',
      attempt: 5,
      lastError: { status: 500, retryable: true },
    });
    await verdict(SCENARIO, server, acked, stored, {
      mayFail,
      extra: { poisonAt: [rejected, exhausted], durationMs: Date.now() - started },
    });
    if (flags)
      expect(server.received.filter((r) => r.batched).length, seeded('batch mode sent no batch')).toBeGreaterThan(0);
  });
}
