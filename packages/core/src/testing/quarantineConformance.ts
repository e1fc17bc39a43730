/**
 * The quarantine half of the store conformance suite: a record no reader understands is moved aside and
 * reported, and its lane goes on. Run by {@link storeConformance} over every store whose harness can write raw records.
 */
import { describe, expect, it } from 'vitest';
import { Outbox } from '../outbox/Outbox.ts';
import { VirtualClock } from './VirtualClock.ts';
import type { StoreHarness } from './storeConformance.ts';
import { claim, msg } from './conformanceKit.ts';

export function quarantineConformance(makeHarness: () => StoreHarness): void {
  describe('quarantine', () => {
    it('a corrupt record is quarantined and reported; everything else keeps working', async ({ skip }) => {
      const harness = makeHarness();
      if (!harness.corrupt) return skip('this harness cannot write raw records');
      const clock = new VirtualClock();
      const store = await harness.open();
      const outbox = new Outbox({ store, clock });
      const good = await outbox.enqueue(msg('good'));
      // Unreadable, yet indexed as a due lane head: the claim query meets it first.
      await harness.corrupt('broken', {
        id: 'broken',
        v: 99,
        laneKey: ['z', 0],
        dueKey: [0, 0],
        statusKey: ['pending', 0],
        seq: 0,
      });
      expect(await outbox.get('broken')).toBeUndefined();
      expect((await outbox.list()).map((o) => o.id)).toEqual([good.id]);
      expect((await claim(outbox, 'w', 10, 1000)).map((o) => o.id)).toEqual([good.id]);
      const q = await outbox.quarantined();
      expect(q).toHaveLength(1);
      expect(q[0]).toMatchObject({ from: 'outbox', key: 'broken' });
      expect(await outbox.stats()).toEqual({ pending: 0, inflight: 1, done: 0, failed: 0 });
    });

    it('a quarantined lane head hands its lane to the op behind it, in the same transaction', async ({ skip }) => {
      const harness = makeHarness();
      if (!harness.corrupt) return skip('this harness cannot write raw records');
      const clock = new VirtualClock();
      const store = await harness.open();
      const outbox = new Outbox({ store, clock });
      const head = await outbox.enqueue(msg('head', 'z'));
      const behind = await outbox.enqueue(msg('behind', 'z'));
      // The head turns unreadable but is still indexed as the lane's due head.
      await harness.corrupt(head.id, {
        id: head.id,
        v: 99,
        lane: 'z',
        laneKey: ['z', head.seq],
        dueKey: [head.nextAttemptAt, head.seq],
        statusKey: ['pending', head.seq],
        seq: head.seq,
      });
      expect(await claim(outbox, 'w', 10, 1000)).toEqual([]);
      expect(await outbox.delivery.nextWakeAt()).toBe(behind.nextAttemptAt);
      expect((await claim(outbox, 'w', 10, 1000)).map((o) => o.id)).toEqual([behind.id]);
      const later = await outbox.enqueue(msg('later', 'z'));
      expect((await outbox.list({ lane: 'z' })).map((o) => o.id)).toEqual([behind.id, later.id]);
    });
  });
}
