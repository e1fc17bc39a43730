import { expect, expectEachAppliedOnce, openDemo, say, test } from './fixtures.ts';

test('with half the requests failing and added latency, 50 messages all arrive exactly once, in order', async ({
  page,
  demo,
}) => {
  test.setTimeout(120_000);
  await openDemo(page, demo);
  demo.server.setFaults({ failureRate: 0.5, latencyMs: 40 });
  const texts = Array.from({ length: 50 }, (_, i) => `chaos ${String(i + 1).padStart(2, '0')}`);
  const started = Date.now();
  for (const text of texts) await say(page, text);

  await expect(page.locator('#messages .msg[data-state=sent]')).toHaveCount(50, { timeout: 90_000 });
  console.log(`50 messages at 50% failures delivered in ${Date.now() - started} ms`);
  expect(await demo.stored()).toEqual(texts);
  await expectEachAppliedOnce(demo.server);
  // The faults were real: the server turned many requests away.
  expect(demo.server.wire.filter((w) => w.status === 503).length).toBeGreaterThan(10);
  await expect(page.locator('#messages .msg .text')).toHaveText(texts);
});
