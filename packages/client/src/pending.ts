import type { Operation } from '@ferry/core';
import { FerryError } from '@ferry/core';
import { partsOf } from './lib/parts.ts';
import type { FerryPendingSource } from './lib/pendingStore.ts';
import { pendingStore } from './lib/pendingStore.ts';
import type { FerryClient } from './types.ts';

export type { FerryPendingSource } from './lib/pendingStore.ts';

/** Which ops the overlay shows; every filter given must match. */
export interface PendingQuery {
  /** Only ops of this kind. @default every kind */
  kind?: string;
  /** Only ops of this lane. @default every lane */
  lane?: string;
  /**
   * Whose ops: one user's; `'signed-in'`, the ops of the user the client's identity
   * (`@ferry/client/identity`) signed in, and with nobody signed in (or no identity) the ops that
   * are nobody's, following sign-ins and sign-outs; `'all'`, every user's (an admin view).
   * @default 'signed-in'
   */
  user?: { id: string } | 'signed-in' | 'all';
  /** The app's own test of an op (its `payload`, `coalesceKey`, `target`…). @default every op */
  where?: (op: Operation) => boolean;
}

export interface FerryPendingOptions {
  /** While the overlay has subscribers, how often it is listed again in case a broadcast was lost (ms). @default 60000 */
  resyncMs?: number;
}

/**
 * The overlay of `client`'s ops not yet done, for optimistic UI that survives a reload: each op
 * pending (retrying when it has a `lastError`; `held` while its user's credentials are awaited),
 * in flight, or failed for good (a dead letter, with `lastError` saying why), with its payload, in
 * enqueue order. Calling the result returns the list, the same array until something changed;
 * `subscribe(fn)` keeps it current from the change feed:
 * `useSyncExternalStore(pending.subscribe, pending)`. One nobody subscribes to holds nothing of the
 * client's and asks nothing; `client.close()` stops the others. It lists at most 10,000 ops (done
 * ones included) at a load.
 */
export function createFerryPending(
  client: FerryClient,
  query: PendingQuery = {},
  options: FerryPendingOptions = {},
): FerryPendingSource {
  const parts = partsOf(client);
  const { kind, lane, user = 'signed-in', where } = query;
  const bad =
    (kind !== undefined && typeof kind !== 'string') ||
    (lane !== undefined && typeof lane !== 'string') ||
    (where !== undefined && typeof where !== 'function') ||
    (user !== 'signed-in' && user !== 'all' && typeof user?.id !== 'string');
  if (bad) {
    throw new FerryError(
      'invalid-argument',
      "a pending query is { kind?: string, lane?: string, user?: { id } | 'signed-in' | 'all', where?: function }",
    );
  }
  const mayKeep = (op: { kind: string; lane: string }): boolean =>
    (kind === undefined || op.kind === kind) && (lane === undefined || op.lane === lane);
  const store = pendingStore({
    list: (who) =>
      parts.request({
        type: 'list',
        query: { limit: 10_000, ...(lane !== undefined && { lane }), ...(who !== undefined && { user: who }) },
      }),
    get: (id) => parts.request({ type: 'get', opId: id }).then((op) => op ?? undefined),
    scope: user === 'all' ? () => undefined : user === 'signed-in' ? () => parts.identity?.user ?? null : () => user.id,
    keeps: (op) => mayKeep(op) && (where === undefined || kept(where, op)),
    mayKeep,
    feed: (fn) => parts.feed.subscribe(fn),
    resyncMs: options.resyncMs ?? 60_000,
    timers: parts.timers,
    pageEvents: typeof addEventListener === 'function' && typeof document === 'object',
    // Only while subscribed: an overlay nobody listens to holds nothing of the client's (one per render is fine).
    attach: ({ rescope, close }) => {
      if (user === 'signed-in') parts.userChanged.add(rescope);
      parts.closing.add(close);
      return () => {
        parts.userChanged.delete(rescope);
        parts.closing.delete(close);
      };
    },
  });
  return store;
}

/** The app's predicate; one that throws drops the op and reports the error, without breaking the change feed. */
function kept(where: (op: Operation) => boolean, op: Operation): boolean {
  try {
    return where(op);
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
    return false;
  }
}
