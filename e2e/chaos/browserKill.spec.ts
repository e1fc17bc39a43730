/**
 * Fault 2: the browser killed (SIGKILL) right after enqueue acks, while
 * sends are in flight, and relaunched on the same persistent profile. The
 * server keeps running on its port, so the origin (and with it the worker
 * registration and the IndexedDB database) stays the same.
 *
 * Chromium sometimes finds its IndexedDB files corrupt after the kill
 * ("Corruption: checksum mismatch") and deletes the database: the ops in it
 * are gone, whatever wrote them (docs/guarantees.md). Ferry cannot prevent that,
 * but must not hide it: a launch whose host reports `storageLost` drops every
 * op acknowledged before it from what is owed, and must have happened
 * (no op of those is stored any more); everything acknowledged after it is
 * still owed in full.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { launchChromium, removeProfile } from '../../tools/launchChromium.ts';
import { expect, openApp, test } from '../fixtures.ts';
import { rngFor, seeded, settled, storageLost, storedOps, verdict } from './harness.ts';

const SCENARIO = 'browser-killed-after-acks';
const FLAGS = 'timeout=5000&attempts=100&sendTimeout=3000';

declare global {
  interface Window {
    chaosAcked?: string[];
  }
}

/** Enqueues bursts of 5 until the page dies, recording every ack as it arrives. */
function enqueueForever(page: Page, cycle: number): void {
  void page
    .evaluate(async (cycle) => {
      const acked: string[] = [];
      window.chaosAcked = acked;
      for (let i = 0; ; i += 5) {
        await Promise.all(
          Array.from({ length: 5 }, (_, j) => {
            const n = i + j;
            const lane = `lane-${n % 3}`;
            return window.ferry
              .enqueue({
                kind: 'chaos.crash',
                target: '/api/crash',
                lane,
                payload: { tag: `crash-${cycle}-${n}`, lane, n },
              })
              .then((id) => void acked.push(id));
          }),
        );
      }
    }, cycle)
    .catch(() => {});
}

test(`${SCENARIO}: every acknowledged op is delivered once by the relaunched browser`, async ({ server }) => {
  test.setTimeout(150_000);
  const rng = rngFor(SCENARIO);
  const started = Date.now();
  const profile = await mkdtemp(join(tmpdir(), 'ferry-chaos-crash-'));
  // Slow answers, and some sends applied without an answer: the crash finds work queued and in flight.
  let crashing = true;
  server.plan = (_req, nth) =>
    crashing && nth === 1 && rng() < 0.1 ? 'apply-and-hang' : { latencyMs: crashing ? rng.int(20, 80) : 5 };
  const acked: string[] = [];
  const CYCLES = 3;
  // Ops acknowledged before a launch that found the database dropped by the browser.
  const dropped = new Set<string>();
  let losses = 0;
  const checkLoss = async (page: Page): Promise<void> => {
    const lost = (await storageLost(page)).length;
    if (lost > losses) {
      for (const id of acked) dropped.add(id);
      console.log(
        `${SCENARIO}: the browser dropped the database at a relaunch; ${dropped.size} acknowledged ops went with it`,
      );
    }
    losses = lost;
  };
  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const chrome = await launchChromium(profile);
      try {
        const page = await chrome.browser.contexts()[0]!.newPage();
        await openApp(page, server, FLAGS);
        await checkLoss(page);
        enqueueForever(page, cycle);
        const target = rng.int(60, 200);
        await page.waitForFunction((n) => (window.chaosAcked?.length ?? 0) >= n, target, { timeout: 30_000 });
        // Read the acks and kill the browser at once, while enqueues and sends are still in flight.
        acked.push(...(await page.evaluate(() => [...(window.chaosAcked ?? [])])));
      } finally {
        await chrome.crash();
      }
    }
    expect(server.applied.length, seeded('the crashes found nothing left to deliver')).toBeLessThan(acked.length);

    crashing = false;
    const chrome = await launchChromium(profile);
    try {
      const page = await chrome.browser.contexts()[0]!.newPage();
      await openApp(page, server, FLAGS);
      await checkLoss(page);
      const owed = acked.filter((id) => !dropped.has(id));
      // The relaunched worker drains at start-up; nothing else is asked of the page.
      await settled(page, owed, 60_000, SCENARIO);
      const stored = await storedOps(page);
      expect(
        stored.filter((op) => dropped.has(op.id)),
        seeded('a loss was reported, but ops from before it are still stored'),
      ).toEqual([]);
      await verdict(SCENARIO, server, owed, stored, {
        extra: {
          crashes: CYCLES,
          storedAfterCrash: stored.length,
          storageLost: losses,
          droppedByBrowser: dropped.size,
          durationMs: Date.now() - started,
        },
      });
    } finally {
      await chrome.crash();
    }
  } finally {
    await removeProfile(profile);
  }
});
