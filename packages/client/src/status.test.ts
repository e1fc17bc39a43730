import type { Operation, OperationStatus, SendResult } from '@ferry/core';
import { MemoryStore, Outbox } from '@ferry/core';
import type { Claimed } from '@ferry/core';
import type { ChangeMessage } from '@ferry/core/protocol';
import { summarize } from '@ferry/core/protocol';
import { ScriptedTransport, VirtualClock } from '@ferry/core/testing';
import { createFerryHost } from '@ferry/sw';
import { testPlatform } from '@ferry/sw/testing';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createFerryClient } from './createFerryClient.ts';
import type { FerryStatus, StatusCounts } from './lib/FerryStatus.ts';
import type { StatusOptions } from './types.ts';

const ORIGIN = 'https://app.example';
const LANES = ['a', 'b', '__proto__'];
const USERS = [undefined, 'u1', 'u2'];

/**
 * A real host over a MemoryStore, offline so that it never sends, and a
 * second Outbox on the same store that plays the worker's part step by step
 * (claims, outcomes, expired leases). Every change either makes is broadcast
 * to the client's channel, unless the test drops it (a lost broadcast).
 */
/** Counts every user's ops: the property compares with `list()`, which lists them all. */
function harness() {
  return harnessWith({ status: { users: 'all' } });
}

/** `virtualTimers`: the client's timers run on the harness's clock too (advanced by the test). */
function harnessWith(more: { status?: StatusOptions }, virtualTimers = false) {
  const clock = new VirtualClock();
  const store = new MemoryStore();
  const feed = Object.assign(new EventTarget(), { close() {} });
  let drop = 0;
  let dropped = 0;
  const broadcasts: ChangeMessage[] = [];
  const deliver = (message: unknown): void => {
    broadcasts.push(message as ChangeMessage);
    if (drop > 0) {
      drop--;
      dropped++;
      return;
    }
    queue.push(message);
    flush();
  };
  // Delivered in a later task, in order, as a BroadcastChannel does: a reply may overtake it.
  const queue: unknown[] = [];
  let paused = false;
  const flush = (): void => {
    if (!paused)
      setTimeout(() => {
        for (const data of queue.splice(0)) feed.dispatchEvent(new MessageEvent('message', { data }));
      }, 0);
  };
  const pause = (on: boolean): void => {
    paused = on;
    flush();
  };
  /** Waits until every broadcast made so far has been delivered. */
  const delivered = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));
  const host = createFerryHost({
    storage: { store: async () => store },
    transport: new ScriptedTransport(),
    platform: testPlatform({
      origin: () => ORIGIN,
      isOnline: () => false,
      clock,
      channel: () => ({ postMessage: deliver, addEventListener() {}, removeEventListener() {}, close() {} }),
    }),
    onError: () => {},
  });
  const driver = new Outbox({ store, clock, origin: ORIGIN, retry: { maxAttempts: 2 } });
  driver.subscribe((change) => deliver(summarize(change)));
  const requests: string[] = [];
  const worker = {
    postMessage(msg: { type: string }, transfer: Transferable[]) {
      requests.push(msg.type);
      const port = transfer[0] as MessagePort;
      void host.receive(msg, { postMessage: (reply) => port.postMessage(reply) });
    },
  };
  const container = { controller: worker } as unknown as ServiceWorkerContainer;
  const client = createFerryClient({
    platform: {
      serviceWorker: () => container,
      channel: () => feed,
      clock,
      ...(virtualTimers && { timers: clock }),
    },
    forwardEvents: false,
    status: { resyncMs: 3_600_000, ...more.status },
  });
  return {
    clock,
    feed,
    host,
    driver,
    client,
    requests,
    broadcasts,
    delivered,
    pause,
    dropNext: () => void drop++,
    takeDropped: (): number => {
      const n = dropped;
      dropped = 0;
      return n;
    },
    close: async () => {
      await client.close();
      await host.close();
    },
  };
}

const zero = (): StatusCounts => ({ pending: 0, inflight: 0, done: 0, failed: 0 });

/** What the snapshot must say, computed from `list()` alone. */
function expected(ops: readonly Operation[]) {
  const counts = zero();
  const lanes: Record<string, StatusCounts> = {};
  const users: Record<string, StatusCounts> = {};
  let held = 0;
  let nextRetryAt: number | null = null;
  // Every pending op of a lane (per user) that has a held op waits with it.
  const heldLanes = new Set(ops.filter((o) => o.held !== undefined).map((o) => `${o.lane}\u0000${o.user ?? ''}`));
  const waits = (o: Operation): boolean => o.status === 'pending' && heldLanes.has(`${o.lane}\u0000${o.user ?? ''}`);
  for (const op of ops) {
    counts[op.status]++;
    if (!Object.hasOwn(lanes, op.lane))
      Object.defineProperty(lanes, op.lane, { value: zero(), enumerable: true, writable: true });
    (lanes[op.lane] as StatusCounts)[op.status]++;
    if (op.user !== undefined) ((users[op.user] ??= zero()) as Record<OperationStatus, number>)[op.status]++;
    if (waits(op)) held++;
    const due = op.status === 'pending' && !waits(op);
    if (due && (nextRetryAt === null || op.nextAttemptAt < nextRetryAt)) nextRetryAt = op.nextAttemptAt;
  }
  return { counts, lanes, users, held, nextRetryAt, waits };
}

function checkAgainst(status: FerryStatus, ops: readonly Operation[]): void {
  const { waits, ...want } = expected(ops);
  expect({
    counts: status.counts,
    lanes: status.lanes,
    users: status.users,
    held: status.held,
    nextRetryAt: status.nextRetryAt,
  }).toEqual(want);
  const done = ops.filter((o) => o.status === 'done');
  if (done.length > 0) expect(status.lastSyncedAt).toBeGreaterThanOrEqual(Math.max(...done.map((o) => o.updatedAt)));
  const unsent = ops.filter((o) => o.status === 'inflight' || (o.status === 'pending' && !waits(o))).length;
  if (want.counts.inflight > 0) expect(status.drain).not.toBeNull();
  if (unsent === 0) expect(status.drain).toBeNull();
  if (status.drain) expect(status.drain.done + status.drain.failed).toBeLessThanOrEqual(status.drain.total);
}

type Step =
  | { t: 'enqueue'; lane: number; user: number; n: number }
  | { t: 'claim'; n: number }
  | { t: 'outcome'; pick: number; how: 'ok' | 'retry' | 'fail' | 'hold' }
  | { t: 'remove'; pick: number }
  | { t: 'update'; pick: number }
  | { t: 'coalesce'; lane: number; key: number }
  | { t: 'retry'; pick: number }
  | { t: 'release' }
  | { t: 'expire' }
  | { t: 'advance'; ms: number }
  | { t: 'lose' }
  | { t: 'resync' }
  | { t: 'raced'; n: number; late: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('enqueue' as const),
      lane: fc.nat(LANES.length - 1),
      user: fc.nat(USERS.length - 1),
      n: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('claim' as const), n: fc.integer({ min: 1, max: 3 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('outcome' as const),
      pick: fc.nat(7),
      how: fc.constantFrom(
        'ok' as const,
        'ok' as const,
        'retry' as const,
        'fail' as const,
        'hold' as const,
        'hold' as const,
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('remove' as const), pick: fc.nat(15) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('update' as const), pick: fc.nat(15) }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('coalesce' as const), lane: fc.nat(LANES.length - 1), key: fc.nat(1) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('retry' as const), pick: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('release' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('expire' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.constantFrom(1, 1_000, 60_000) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('lose' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('resync' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('raced' as const), n: fc.integer({ min: 1, max: 3 }), late: fc.boolean() }),
  },
);

const pick = <T>(items: readonly T[], n: number): T | undefined =>
  items.length === 0 ? undefined : items[n % items.length];

async function run(h: ReturnType<typeof harness>, steps: readonly Step[]): Promise<void> {
  const { client, driver, clock } = h;
  let claimed: Claimed[] = [];
  const off = client.status.subscribe(() => {});
  await client.status.refresh();
  let diverged = false;
  const ignore = (): void => {};
  let k = 0;
  for (const s of steps) {
    switch (s.t) {
      case 'enqueue':
        await Promise.all(
          Array.from({ length: s.n }, () => {
            const user = USERS[s.user];
            return client.enqueue({
              kind: 'k',
              target: '/api/x',
              payload: { k: k++ },
              lane: LANES[s.lane] as string,
              ...(user !== undefined && { user }),
            });
          }),
        );
        break;
      case 'claim':
        claimed.push(...(await driver.delivery.claim({ owner: 'driver', lanes: s.n, leaseMs: 60_000 })));
        break;
      case 'outcome': {
        const c = pick(claimed, s.pick);
        if (!c) break;
        claimed = claimed.filter((x) => x !== c);
        // An outcome whose claim was superseded comes back as its error and changes nothing.
        const settle = (result: SendResult) =>
          driver.delivery.exchange({ settlements: [{ run: [c], results: [result] }] });
        if (s.how === 'ok') await settle({ ok: true });
        else if (s.how === 'retry') await settle({ ok: false, retryable: true, status: 503 });
        else if (s.how === 'fail') await settle({ ok: false, retryable: false, status: 400 });
        else await settle({ ok: false, retryable: true, status: 401, hold: 'credentials', free: true });
        break;
      }
      case 'remove': {
        const op = pick(await client.list({ limit: 10_000 }), s.pick);
        if (op) await client.remove(op.id).catch(ignore);
        break;
      }
      case 'update': {
        const op = pick(await client.list({ limit: 10_000 }), s.pick);
        if (op) await client.update(op.id, { payload: { edited: k++ } }).catch(ignore);
        break;
      }
      case 'coalesce':
        await client.enqueue({
          kind: 'k',
          target: '/api/x',
          payload: { k: k++ },
          lane: LANES[s.lane] as string,
          coalesce: { key: `doc:${s.key}` },
        });
        break;
      case 'retry': {
        const op = pick(await client.list({ status: 'failed' }), s.pick);
        if (op) await client.retry(op.id).catch(ignore);
        break;
      }
      case 'release':
        await driver.delivery.release(() => true);
        break;
      case 'expire':
        clock.advance(61_000);
        await driver.delivery.requeueExpired();
        claimed = [];
        break;
      case 'advance':
        clock.advance(s.ms);
        break;
      case 'lose':
        h.dropNext();
        break;
      case 'resync':
        await client.status.refresh();
        diverged = false;
        break;
      case 'raced': {
        // Changes committed while a load is on its way (late: before its read, broadcast after its reply).
        h.pause(s.late);
        const racing = (async () => {
          const got = await driver.delivery.claim({ owner: 'driver', lanes: s.n, leaseMs: 60_000 });
          for (const c of got) await driver.delivery.exchange({ settlements: [{ run: [c], results: [{ ok: true }] }] });
        })();
        if (s.late) await racing;
        await Promise.all([racing, client.status.refresh()]);
        h.pause(false);
        await h.delivered();
        diverged ||= h.takeDropped() > 0;
        break;
      }
    }
    await h.delivered();
    if (h.takeDropped() > 0) diverged = true;
    // Agreement after every step, except while a broadcast is known lost and no resync has run since.
    if (!diverged) checkAgainst(client.status(), await client.list({ limit: 10_000 }));
  }
  // A resync always restores agreement.
  await client.status.refresh();
  await h.delivered();
  checkAgainst(client.status(), await client.list({ limit: 10_000 }));
  off();
}

describe('status snapshot', () => {
  it('agrees with list() after every step of a random sequence (property)', async () => {
    const runs = Number(
      (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env['FERRY_PROPERTY_RUNS'] ??
        100,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async (steps) => {
        const h = harness();
        try {
          await run(h, steps);
        } finally {
          await h.close();
        }
      }),
      { numRuns: runs },
    );
  }, 120_000);
});

describe('status snapshot, by example', () => {
  it("is the signed-in user's by default: Bob does not see Alice's ops; status.users 'all' does", async () => {
    const h = harnessWith({});
    const off = h.client.status.subscribe(() => {});
    await h.client.setUser('alice');
    for (const n of [1, 2, 3]) await h.client.enqueue({ kind: 'k', target: '/api/x', payload: n, lane: 'notes' });
    await h.delivered();
    expect(h.client.status().counts.pending).toBe(3);
    await h.client.signOut();
    await h.client.setUser('bob');
    await h.client.status.refresh();
    await h.client.enqueue({ kind: 'k', target: '/api/x', payload: 4, lane: 'notes' });
    await h.delivered();
    expect(h.client.status()).toMatchObject({ loaded: true, counts: { pending: 1 }, users: { bob: { pending: 1 } } });
    expect(h.client.status().users).not.toHaveProperty('alice');
    // A change of Alice's (her oldest op claimed) does not reach Bob's snapshot.
    const [claimed] = await h.driver.delivery.claim({ owner: 'driver', lanes: 1, leaseMs: 60_000 });
    expect((await h.client.get(claimed?.id ?? ''))?.user).toBe('alice');
    await h.delivered();
    expect(h.client.status().counts).toMatchObject({ pending: 1, inflight: 0 });
    await h.client.setUser('alice');
    await h.client.status.refresh();
    expect(h.client.status().counts).toMatchObject({ pending: 2, inflight: 1 });
    off();
    await h.close();
    const all = harnessWith({ status: { users: 'all' } });
    const offAll = all.client.status.subscribe(() => {});
    await all.client.setUser('bob');
    await all.client.enqueue({ kind: 'k', target: '/api/x', payload: 1, user: 'alice' });
    await all.client.enqueue({ kind: 'k', target: '/api/x', payload: 2 });
    await all.client.status.refresh();
    const one = { pending: 1, inflight: 0, done: 0, failed: 0 };
    expect(all.client.status().users).toEqual({ alice: one, bob: one });
    offAll();
    await all.close();
  });

  it('counts as held every pending op of a lane whose head is held, and none of them as due', async () => {
    const h = harnessWith({});
    const off = h.client.status.subscribe(() => {});
    await h.client.setUser('alice');
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
    expect(h.client.status()).toMatchObject({ counts: { pending: 3 }, held: 3, nextRetryAt: null, drain: null });
    // The same from a load as from the change feed.
    await h.client.status.refresh();
    expect(h.client.status()).toMatchObject({ held: 3, nextRetryAt: null, drain: null });
    await h.driver.delivery.release(() => true);
    await h.delivered();
    expect(h.client.status().held).toBe(0);
    expect(h.client.status().nextRetryAt).not.toBeNull();
    off();
    await h.close();
  });

  it('does not count twice a change the load already reflects, whose broadcast comes after the reply', async () => {
    const h = harness();
    const off = h.client.status.subscribe(() => {});
    await h.client.status.refresh();
    await h.client.enqueue({ kind: 'k', target: '/api/x', payload: 1 });
    await h.delivered();
    h.pause(true);
    for (const c of await h.driver.delivery.claim({ owner: 'driver', lanes: 1, leaseMs: 60_000 }))
      await h.driver.delivery.exchange({ settlements: [{ run: [c], results: [{ ok: true }] }] });
    await h.client.status.refresh();
    h.pause(false);
    await h.delivered();
    expect(h.client.status().counts).toEqual({ pending: 0, inflight: 0, done: 1, failed: 0 });
    off();
    await h.close();
  });

  it('keeps the same snapshot object until something changed, tells subscribers, and stops listening when the last one leaves', async () => {
    const h = harness();
    const seen = [0, 0];
    const offs = [0, 1].map((i) => h.client.status.subscribe(() => void (seen[i] = (seen[i] ?? 0) + 1)));
    await h.client.status.refresh();
    const first = h.client.status();
    expect(first).toMatchObject({ loaded: true, hostOnline: false, online: true, counts: { pending: 0 } });
    expect(h.client.status.getSnapshot()).toBe(first);
    // A load that finds nothing new keeps the object and tells nobody.
    const before = [...seen];
    await h.client.status.refresh();
    expect(h.client.status()).toBe(first);
    expect(seen).toEqual(before);
    await h.client.enqueue({ kind: 'k', target: '/api/x', payload: 1, lane: 'chat' });
    await h.delivered();
    const second = h.client.status();
    expect(second).not.toBe(first);
    expect(second.lanes).toEqual({ chat: { pending: 1, inflight: 0, done: 0, failed: 0 } });
    expect(seen.every((n, i) => n > (before[i] as number))).toBe(true);
    for (const off of offs) off();
    // Nobody listens: a change leaves the snapshot as it was, and nobody is called.
    const after = [...seen];
    await h.client.enqueue({ kind: 'k', target: '/api/x', payload: 2, lane: 'chat' });
    await h.delivered();
    expect(h.client.status()).toBe(second);
    expect(seen).toEqual(after);
    await h.close();
  });

  it('finds a change whose broadcast was lost on its slow timer', async () => {
    const h = harness();
    const off = h.client.status.subscribe(() => {});
    await h.client.status.refresh();
    h.dropNext();
    await h.client.enqueue({ kind: 'k', target: '/api/x', payload: 1 });
    await h.delivered();
    expect(h.client.status().counts.pending).toBe(0);
    off();
    await h.close();
    // The same with a short resync period.
    const fast = harnessWith({ status: { resyncMs: 30 } }, true);
    const off2 = fast.client.status.subscribe(() => {});
    await fast.client.status.refresh();
    fast.dropNext();
    await fast.client.enqueue({ kind: 'k', target: '/api/x', payload: 1 });
    await fast.delivered();
    expect(fast.client.status().counts.pending).toBe(0);
    fast.clock.advance(30);
    await vi.waitFor(() => expect(fast.client.status().counts.pending).toBe(1), { timeout: 1000 });
    off2();
    await fast.close();
  });

  it('costs no request per change: 1,000 changes with 3 subscribers', async () => {
    const h = harness();
    let renders = 0;
    // As useSyncExternalStore does: each subscriber reads the snapshot when told.
    const offs = [0, 1, 2].map(() =>
      h.client.status.subscribe(() => void (h.client.status().counts.done >= 0 && renders++)),
    );
    await h.client.status.refresh();
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
    expect(h.client.status().counts).toEqual({ pending: 0, inflight: 0, done: 0, failed: 0 });
    console.log(
      `status: 1,000 changes, 3 subscribers: ${ms.toFixed(1)} ms in all, ${((ms / 1000) * 1000).toFixed(1)} µs per change, ${h.requests.length - requests} requests`,
    );
    for (const off of offs) off();
    await h.close();
  });
});
