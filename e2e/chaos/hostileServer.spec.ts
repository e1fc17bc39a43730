/**
 * Fault 3: a hostile server. Per request: 30% 503 (a third of them with
 * Retry-After), 10% no answer past the client's timeout, 5% 429 with
 * Retry-After, 5% the connection destroyed (half of them after applying the
 * effect), the rest applied.
 */
import type { Fault } from '../server/TestServer.ts';
import { expect, openApp, test } from '../fixtures.ts';
import { inPage } from '../lib.ts';
import { rngFor, seeded, settled, storedOps, verdict } from './harness.ts';

for (const { SCENARIO, flags } of [
  { SCENARIO: 'hostile-server', flags: '' },
  { SCENARIO: 'hostile-server-batched', flags: '&batch=8' },
]) {
  test(`${SCENARIO}: 503s, hangs past the timeout, 429 + Retry-After, dropped connections`, async ({
    page,
    server,
  }) => {
    test.setTimeout(240_000);
    const rng = rngFor(SCENARIO);
    const started = Date.now();
    // The transport gives up on a silent server after 800 ms.
    const sendTimeout = 800;
    await openApp(page, server, `sendTimeout=${sendTimeout}&attempts=100${flags}`);
    const tally: Record<string, number> = { '503': 0, hang: 0, '429': 0, drop: 0, ok: 0 };
    server.plan = (): Fault => {
      const r = rng();
      if (r < 0.3) {
        tally['503']!++;
        return rng() < 1 / 3 ? { status: 503, headers: { 'Retry-After': '1' } } : { status: 503 };
      }
      if (r < 0.4) {
        tally.hang!++;
        return 'hang';
      }
      if (r < 0.45) {
        tally['429']!++;
        return { status: 429, headers: { 'Retry-After': String(rng.int(1, 2)) } };
      }
      if (r < 0.5) {
        tally.drop!++;
        return rng() < 0.5 ? 'reset' : 'apply-and-drop';
      }
      tally.ok!++;
      return 'pass';
    };

    const N = 150;
    const ops = Array.from({ length: N }, (_, n) => {
      const lane = `lane-${rng.int(0, 11)}`;
      return { kind: 'chaos.hostile', target: '/api/hostile', lane, payload: { tag: `hostile-${n}`, lane, n } };
    });
    const acked = await inPage(page, (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))), ops);
    // A Retry-After on a 429 or 503 now pauses every lane to the origin: delivery takes longer, by design.
    await settled(page, acked, 150_000, SCENARIO);
    await verdict(SCENARIO, server, acked, await storedOps(page), {
      extra: { answers: tally, durationMs: Date.now() - started },
      clientTimeoutMs: sendTimeout,
    });
    if (flags)
      expect(server.received.filter((r) => r.batched).length, seeded('batch mode sent no batch')).toBeGreaterThan(0);
  });
}
