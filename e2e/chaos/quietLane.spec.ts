/**
 * What happens in the only busy lane, the case of every app that names no
 * lanes, in real Chromium:
 *
 * - edit-after-drop (shipped defaults): the first send of a saved document
 *   is applied and its connection dropped, so the page cannot know. An edit
 *   made meanwhile is never folded into it: `update` is refused with
 *   `possibly-delivered`, a coalescing save becomes a new op behind it, and
 *   the server ends with the edit, each key applied once.
 */
import type { Fault } from '../server/TestServer.ts';
import { expect, openApp, test } from '../fixtures.ts';
import { inPage } from '../lib.ts';
import { seeded, settled, storedOps, verdict } from './harness.ts';

test('edit-after-drop: an edit after a dropped connection is a new op; the server ends with the edit, each key applied once', async ({
  page,
  server,
}) => {
  test.setTimeout(120_000);
  const SCENARIO = 'edit-after-drop';
  const started = Date.now();
  await openApp(page, server, 'defaults');
  // The first send is applied and its connection dropped; the network stays down until the edit is made.
  let down = true;
  server.plan = (req, nth): Fault => {
    if ((req.body as { v?: number }).v === 1 && nth === 1) return 'apply-and-drop';
    return down ? 'reset' : 'pass';
  };
  const save = (v: number) => ({
    kind: 'doc.save',
    target: '/api/docs',
    lane: 'doc-7',
    payload: { doc: 7, v, tag: `doc-7-v${v}` },
    coalesce: { key: 'doc:7' },
  });
  const first = await inPage(page, (op) => window.ferry.enqueue(op), save(1));
  // The first send reached the server (and was applied); its answer never came back.
  await expect.poll(() => server.applied.length, { timeout: 20_000 }).toBe(1);
  const refused = await page.evaluate(
    (id) =>
      window.ferry.update(id, { payload: { doc: 7, v: 2, tag: 'doc-7-v2' } }).catch((e: { code?: string }) => e.code),
    first,
  );
  expect(refused, 'an update of an op that may have reached the server').toBe('possibly-delivered');
  const second = await inPage(page, (op) => window.ferry.enqueue(op), save(2));
  expect(second, 'the coalescing save is a new op behind it').not.toBe(first);
  down = false;
  await settled(page, [first, second], 90_000, SCENARIO);
  const stored = await storedOps(page);
  expect(stored.map((o) => o.status)).toEqual(['done', 'done']);
  expect(
    server.applied.map((a) => (a.body as { v: number }).v),
    seeded('applied, in order'),
  ).toEqual([1, 2]);
  await verdict(SCENARIO, server, [first, second], stored, { extra: { durationMs: Date.now() - started } });
});
