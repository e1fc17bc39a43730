/**
 * Fault 4: the network going offline and online every few hundred
 * milliseconds while ops are enqueued and sent.
 */
import { expect, openApp, setOnline, test } from '../fixtures.ts';
import { inPage } from '../lib.ts';
import { rngFor, seeded, settled, sleep, storedOps, verdict } from './harness.ts';

const SCENARIO = 'network-flapping';

test(`${SCENARIO}: offline/online every few hundred ms during enqueues and sends`, async ({
  page,
  context,
  server,
}) => {
  test.setTimeout(120_000);
  const rng = rngFor(SCENARIO);
  const started = Date.now();
  await openApp(page, server, 'attempts=100');
  server.plan = () => ({ latencyMs: rng.int(5, 40) });

  const acked: string[] = [];
  let n = 0;
  const burst = async (): Promise<void> => {
    const ops = Array.from({ length: rng.int(5, 15) }, () => {
      const lane = `lane-${rng.int(0, 3)}`;
      return { kind: 'chaos.flap', target: '/api/flap', lane, payload: { tag: `flap-${n++}`, lane } };
    });
    acked.push(...(await inPage(page, (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))), ops)));
  };

  let flips = 0;
  let offline = false;
  const until = Date.now() + 8000;
  while (Date.now() < until) {
    offline = !offline;
    // setOffline hangs while the worker is stopped (fixtures.ts); the worker is never stopped here, and a hang fails loudly.
    const flipped = await Promise.race([context.setOffline(offline).then(() => true), sleep(10_000).then(() => false)]);
    expect(flipped, seeded(`setOffline(${offline}) hung at flip ${flips}`)).toBe(true);
    flips++;
    await Promise.all([burst(), sleep(rng.int(100, 500))]);
  }
  await setOnline(page, true);
  const back = Date.now();
  await settled(page, acked, 60_000, SCENARIO);
  await verdict(SCENARIO, server, acked, await storedOps(page), {
    extra: { flips, drainAfterOnlineMs: Date.now() - back, durationMs: Date.now() - started },
  });
});
