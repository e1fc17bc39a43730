/** The status snapshot tests' harness: a real host, a driver Outbox on its store, a client with a status snapshot and an identity. */
import type { Operation, OperationStatus } from '@ferry/core';
import { MemoryStore, Outbox } from '@ferry/core';
import type { ChangeMessage } from '@ferry/core/protocol';
import { summarize } from '@ferry/core/protocol';
import { ScriptedTransport, VirtualClock } from '@ferry/core/testing';
import { createFerryHost } from '@ferry/sw';
import { credentials } from '@ferry/sw/credentials';
import { testPlatform, testServiceWorker } from '@ferry/sw/testing';
import { expect } from 'vitest';
import { createFerryClient } from './createFerryClient.ts';
import { createFerryIdentity } from './identity.ts';
import type { FerryStatus, StatusCounts } from './lib/FerryStatus.ts';
import type { FerryStatusOptions } from './status.ts';
import { createFerryStatus } from './status.ts';

export const ORIGIN = 'https://app.example';
export const LANES = ['a', 'b', '__proto__'];
export const USERS = [undefined, 'u1', 'u2'];

/**
 * A real host over a MemoryStore, offline so that it never sends, and a
 * second Outbox on the same store that plays the worker's part step by step
 * (claims, outcomes, expired leases). Every change either makes is broadcast
 * to the client's channel, unless the test drops it (a lost broadcast).
 */
/** Counts every user's ops: the property compares with `list()`, which lists them all. */
export function harness() {
  return harnessWith({ status: { users: 'all' } });
}

/** `virtualTimers`: the client's timers run on the harness's clock too (advanced by the test). */
export function harnessWith(more: { status?: FerryStatusOptions }, virtualTimers = false) {
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
    // The tests sign users in: the host serves identity with the credentials feature.
    credentials: credentials(),
    logger: { level: 'silent' },
  });
  const driver = new Outbox({ store, clock, origin: ORIGIN, retry: { maxAttempts: 2 } });
  driver.subscribe((change) => deliver(summarize(change)));
  const { serviceWorker, requests } = testServiceWorker(host);
  const client = createFerryClient({
    platform: {
      serviceWorker,
      channel: () => feed,
      clock,
      ...(virtualTimers && { timers: clock }),
    },
    forwardEvents: false,
  });
  const who = createFerryIdentity(client);
  const status = createFerryStatus(client, { resyncMs: 3_600_000, ...more.status });
  return {
    clock,
    feed,
    host,
    driver,
    client,
    who,
    status,
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

export const zero = (): StatusCounts => ({ pending: 0, inflight: 0, done: 0, failed: 0 });

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

export function checkAgainst(status: FerryStatus, ops: readonly Operation[]): void {
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
