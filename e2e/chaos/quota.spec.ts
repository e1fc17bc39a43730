/**
 * Bad input: storage quota exhausted (CDP Storage.overrideQuotaForOrigin, on
 * a persistent profile: an in-memory context does not enforce it) while the
 * worker keeps sending. Enqueue rejects with `quota-exceeded`; every op
 * acknowledged before is kept and delivered once the space comes back.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, removeProfile } from '../../tools/launchChromium.ts';
import { expect, openApp, test } from '../fixtures.ts';
import { rngFor, seeded, settled, storedOps, verdict } from './harness.ts';

const SCENARIO = 'quota-exhausted';

test(`${SCENARIO}: enqueue rejects with quota-exceeded, nothing stored is lost`, async ({ server }) => {
  test.setTimeout(120_000);
  const rng = rngFor(SCENARIO);
  const started = Date.now();
  const profile = await mkdtemp(join(tmpdir(), 'ferry-chaos-quota-'));
  const chrome = await launchChromium(profile);
  try {
    const context = chrome.browser.contexts()[0]!;
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const origin = new URL(server.url).origin;
    // Before the worker opens its database: the override is read when storage is opened.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 3 * 1024 * 1024 });
    server.plan = () => ({ latencyMs: rng.int(10, 60) });
    // A short lease: a state change the full disk refused leaves its op in flight until the lease ends.
    await openApp(page, server, 'attempts=100&lease=3000&sendTimeout=2000');
    expect((await cdp.send('Storage.getUsageAndQuota', { origin })).overrideActive).toBe(true);

    // At most 64 KiB: crypto.getRandomValues refuses more in one call.
    const bytes = rng.int(40, 64) * 1024;
    const filled = await page.evaluate(
      async ({ bytes }) => {
        // Random text: Chromium compresses IndexedDB values, so a repeated character would barely count.
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
        const text = (): string =>
          Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => alphabet[b % 62]).join('');
        const acked: string[] = [];
        for (let i = 0; i < 400; i++) {
          const lane = `lane-${i % 3}`;
          try {
            acked.push(
              await window.ferry.enqueue({
                kind: 'chaos.quota',
                target: '/api/quota',
                lane,
                payload: { tag: `quota-${i}`, lane, text: text() },
              }),
            );
          } catch (err) {
            return { acked, code: (err as { code?: string }).code ?? String(err) };
          }
        }
        return { acked, code: 'none' };
      },
      { bytes },
    );
    expect(filled.code, seeded('the enqueue that hit the quota')).toBe('quota-exceeded');
    expect(filled.acked.length).toBeGreaterThan(0);
    // Everything acknowledged is still stored (the worker may have delivered some meanwhile).
    const stored = new Set((await storedOps(page)).map((o) => o.id));
    expect(
      filled.acked.filter((id) => !stored.has(id)),
      seeded('acknowledged ops lost to the full disk'),
    ).toEqual([]);

    // Space comes back: enqueue works again and everything is delivered.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    const small = await page.evaluate(() =>
      window.ferry.enqueue({
        kind: 'chaos.quota',
        target: '/api/quota',
        lane: 'lane-0',
        payload: { tag: 'quota-after', lane: 'lane-0' },
      }),
    );
    const acked = [...filled.acked, small];
    await page.evaluate(() => window.ferry.kick());
    await settled(page, acked, 60_000, SCENARIO);
    await verdict(SCENARIO, server, acked, await storedOps(page), {
      extra: { payloadBytes: bytes, ackedBeforeFull: filled.acked.length, durationMs: Date.now() - started },
    });
  } finally {
    await chrome.crash();
    await removeProfile(profile);
  }
});
