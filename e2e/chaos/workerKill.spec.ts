/**
 * Fault 1: the service worker killed at random moments while it drains 500
 * ops, as the browser does to an idle or misbehaving worker.
 */
import { expect, openApp, test } from '../fixtures.ts';
import { inPage } from '../lib.ts';
import { rngFor, seeded, settled, sleep, storedOps, verdict } from './harness.ts';

for (const { SCENARIO, flags } of [
  { SCENARIO: 'worker-killed-mid-drain', flags: '' },
  { SCENARIO: 'worker-killed-mid-drain-batched', flags: '&batch=10' },
]) {
  test(`${SCENARIO}: 500 ops, the worker stopped at least 10 times during the drain`, async ({ page, server, cdp }) => {
    test.setTimeout(120_000);
    const rng = rngFor(SCENARIO);
    const started = Date.now();
    // A short client timeout: a request posted to a worker as it dies is never answered.
    await openApp(page, server, `timeout=3000&attempts=100${flags}`);
    // Slow answers, so the drain lasts long enough for the kills; some sends are applied but never answered.
    server.plan = (_req, nth) => (nth === 1 && rng() < 0.03 ? 'apply-and-hang' : { latencyMs: rng.int(15, 50) });

    const N = 500;
    const ops = Array.from({ length: N }, (_, n) => {
      const lane = `lane-${rng.int(0, 3)}`;
      return { kind: 'chaos.kill', target: '/api/kill', lane, payload: { tag: `kill-${n}`, lane, n } };
    });
    const acked = await inPage(page, (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))), ops);
    expect(acked).toHaveLength(N);

    let kills = 0;
    let stalls = 0;
    while (server.applied.length < N) {
      await sleep(rng.int(100, 500));
      const before = server.applied.length;
      if (before >= N) break;
      await cdp.stopAll();
      kills++;
      // What a page does when it comes back: a kick (the request itself starts the worker again).
      await page.evaluate(() => window.ferry.kick().catch(() => {}));
      // The worker keeps draining after every kill.
      const resumed = await expect
        .poll(() => server.applied.length, { timeout: 15_000, message: seeded(`no progress after kill ${kills}`) })
        .toBeGreaterThan(before)
        .then(
          () => true,
          () => false,
        );
      if (!resumed) stalls++;
      expect(stalls, seeded(`the worker stopped draining after kill ${kills}`)).toBe(0);
      if (kills > 60) break;
    }
    expect(kills, seeded('the drain ended before the tenth kill: slow the server down')).toBeGreaterThanOrEqual(10);

    await settled(page, acked, 60_000, SCENARIO);
    const stored = await storedOps(page);
    await verdict(SCENARIO, server, acked, stored, {
      stops: cdp.stops,
      extra: { kills, durationMs: Date.now() - started },
    });
    if (flags)
      expect(server.received.filter((r) => r.batched).length, seeded('batch mode sent no batch')).toBeGreaterThan(0);
  });
}
