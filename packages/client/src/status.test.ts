/** The status snapshot by example: whose ops it counts, held lanes, lost and late broadcasts, identity of snapshots, cost per change. */
import type { Claimed } from '@ferry/core';
import { describe, expect, it, vi } from 'vitest';
import { harness, harnessWith } from './status.testSupport.ts';

describe('status snapshot, by example', () => {
  it("is the signed-in user's by default: Bob does not see Alice's ops; status.users 'all' does", async () => {
    const h = harnessWith({});
    const off = h.status.subscribe(() => {});
    await h.who.setUser('alice');
    for (const n of [1, 2, 3]) await h.client.enqueue({ kind: 'k', target: '/api/x', payload: n, lane: 'notes' });
    await h.delivered();
    expect(h.status().counts.pending).toBe(3);
    await h.who.signOut();
    await h.who.setUser('bob');
    await h.status.refresh();
    await h.client.enqueue({ kind: 'k', target: '/api/x', payload: 4, lane: 'notes' });
    await h.delivered();
    expect(h.status()).toMatchObject({ loaded: true, counts: { pending: 1 }, users: { bob: { pending: 1 } } });
    expect(h.status().users).not.toHaveProperty('alice');
    // A change of Alice's (her oldest op claimed) does not reach Bob's snapshot.
    const [claimed] = await h.driver.delivery.claim({ owner: 'driver', lanes: 1, leaseMs: 60_000 });
    expect((await h.client.get(claimed?.id ?? ''))?.user).toBe('alice');
    await h.delivered();
    expect(h.status().counts).toMatchObject({ pending: 1, inflight: 0 });
    await h.who.setUser('alice');
    await h.status.refresh();
    expect(h.status().counts).toMatchObject({ pending: 2, inflight: 1 });
    off();
    await h.close();
    const all = harnessWith({ status: { users: 'all' } });
    const offAll = all.status.subscribe(() => {});
    await all.who.setUser('bob');
    await all.client.enqueue({ kind: 'k', target: '/api/x', payload: 1, user: 'alice' });
    await all.client.enqueue({ kind: 'k', target: '/api/x', payload: 2 });
    await all.status.refresh();
    const one = { pending: 1, inflight: 0, done: 0, failed: 0 };
    expect(all.status().users).toEqual({ alice: one, bob: one });
    offAll();
    await all.close();
  });

  it('counts as held every pending op of a lane whose head is held, and none of them as due', async () => {
    const h = harnessWith({});
    const off = h.status.subscribe(() => {});
    await h.who.setUser('alice');
    for (const n of [1, 2, 3]) await h.client.enqueue({ kind: 'k', target: '/api/x', payload: n, lane: 'notes' });
    const [head] = await h.driver.delivery.claim({ owner: 'driver', lanes: 1, leaseMs: 60_000 });
    await h.driver.delivery.exchange({
      settlements: [
        {
          run: [head as Claimed],
          results: [{ ok: false, retryable: true, status: 401, hold: 'credentials', free: true }],
        },
      ],
    });
    await h.delivered();
    expect(h.status()).toMatchObject({ counts: { pending: 3 }, held: 3, nextRetryAt: null, drain: null });
    // The same from a load as from the change feed.
    await h.status.refresh();
    expect(h.status()).toMatchObject({ held: 3, nextRetryAt: null, drain: null });
    await h.driver.delivery.release(() => true);
    await h.delivered();
    expect(h.status().held).toBe(0);
    expect(h.status().nextRetryAt).not.toBeNull();
    off();
    await h.close();
  });

  it('does not count twice a change the load already reflects, whose broadcast comes after the reply', async () => {
    const h = harness();
    const off = h.status.subscribe(() => {});
    await h.status.refresh();
    await h.client.enqueue({ kind: 'k', target: '/api/x', payload: 1 });
    await h.delivered();
    h.pause(true);
    for (const c of await h.driver.delivery.claim({ owner: 'driver', lanes: 1, leaseMs: 60_000 }))
      await h.driver.delivery.exchange({ settlements: [{ run: [c], results: [{ ok: true }] }] });
    await h.status.refresh();
    h.pause(false);
    await h.delivered();
    expect(h.status().counts).toEqual({ pending: 0, inflight: 0, done: 1, failed: 0 });
    off();
    await h.close();
  });

  it('keeps the same snapshot object until something changed, tells subscribers, and stops listening when the last one leaves', async () => {
    const h = harness();
    const seen = [0, 0];
    const offs = [0, 1].map((i) => h.status.subscribe(() => void (seen[i] = (seen[i] ?? 0) + 1)));
    await h.status.refresh();
    const first = h.status();
    expect(first).toMatchObject({ loaded: true, hostOnline: false, online: true, counts: { pending: 0 } });
    expect(h.status.getSnapshot()).toBe(first);
    // A load that finds nothing new keeps the object and tells nobody.
    const before = [...seen];
    await h.status.refresh();
    expect(h.status()).toBe(first);
    expect(seen).toEqual(before);
    await h.client.enqueue({ kind: 'k', target: '/api/x', payload: 1, lane: 'chat' });
    await h.delivered();
    const second = h.status();
    expect(second).not.toBe(first);
    expect(second.lanes).toEqual({ chat: { pending: 1, inflight: 0, done: 0, failed: 0 } });
    expect(seen.every((n, i) => n > (before[i] as number))).toBe(true);
    for (const off of offs) off();
    // Nobody listens: a change leaves the snapshot as it was, and nobody is called.
    const after = [...seen];
    await h.client.enqueue({ kind: 'k', target: '/api/x', payload: 2, lane: 'chat' });
    await h.delivered();
    expect(h.status()).toBe(second);
    expect(seen).toEqual(after);
    await h.close();
  });

  it('finds a change whose broadcast was lost on its slow timer', async () => {
    const h = harness();
    const off = h.status.subscribe(() => {});
    await h.status.refresh();
    h.dropNext();
    await h.client.enqueue({ kind: 'k', target: '/api/x', payload: 1 });
    await h.delivered();
    expect(h.status().counts.pending).toBe(0);
    off();
    await h.close();
    // The same with a short resync period.
    const fast = harnessWith({ status: { resyncMs: 30 } }, true);
    const off2 = fast.status.subscribe(() => {});
    await fast.status.refresh();
    fast.dropNext();
    await fast.client.enqueue({ kind: 'k', target: '/api/x', payload: 1 });
    await fast.delivered();
    expect(fast.status().counts.pending).toBe(0);
    fast.clock.advance(30);
    await vi.waitFor(() => expect(fast.status().counts.pending).toBe(1), { timeout: 1000 });
    off2();
    await fast.close();
  });

  it('costs no request per change: 1,000 changes with 3 subscribers', async () => {
    const h = harness();
    let renders = 0;
    // As useSyncExternalStore does: each subscriber reads the snapshot when told.
    const offs = [0, 1, 2].map(() => h.status.subscribe(() => void (h.status().counts.done >= 0 && renders++)));
    await h.status.refresh();
    // 1,000 real changes, broadcast to nobody yet: 250 ops, each put, claimed, refused, then removed.
    h.pause(true);
    const ids: string[] = [];
    for (let i = 0; i < 250; i++)
      ids.push(
        (await h.driver.enqueue({ kind: 'k', target: '/api/x', payload: i, lane: `l${i % 10}`, user: `u${i % 3}` })).id,
      );
    for (;;) {
      const got = await h.driver.delivery.claim({ owner: 'driver', lanes: 10, leaseMs: 60_000 });
      if (got.length === 0) break;
      const refused = { ok: false, retryable: false, status: 400 } as const;
      for (const c of got) await h.driver.delivery.exchange({ settlements: [{ run: [c], results: [refused] }] });
    }
    for (const id of ids) await h.driver.remove(id);
    const changes = h.broadcasts.splice(0).filter((m) => m.type === 'change');
    expect(changes).toHaveLength(1_000);
    const requests = h.requests.length;
    const feed = h.feed;
    renders = 0;
    const start = performance.now();
    for (const data of changes) feed.dispatchEvent(new MessageEvent('message', { data }));
    const ms = performance.now() - start;
    expect(h.requests.length).toBe(requests);
    expect(renders).toBe(3_000);
    expect(h.status().counts).toEqual({ pending: 0, inflight: 0, done: 0, failed: 0 });
    console.log(
      `status: 1,000 changes, 3 subscribers: ${ms.toFixed(1)} ms in all, ${((ms / 1000) * 1000).toFixed(1)} µs per change, ${h.requests.length - requests} requests`,
    );
    for (const off of offs) off();
    await h.close();
  });
});
