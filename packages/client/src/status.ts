import { partsOf } from './lib/parts.ts';
import type { FerryStatusSource } from './lib/statusStore.ts';
import { statusStore } from './lib/statusStore.ts';
import type { FerryClient } from './types.ts';

export type { FerryStatusSource } from './lib/statusStore.ts';
export type { DrainProgress, FerryStatus, StatusCounts } from './lib/FerryStatus.ts';

export interface FerryStatusOptions {
  /**
   * Whose ops the snapshot counts: `signed-in`, the ops of the user the client's identity
   * (`@ferry/client/identity`) signed in, and with nobody signed in (or no identity), the ops
   * that are nobody's; `all`, every user's (an admin view).
   * @default 'signed-in'
   */
  users?: 'signed-in' | 'all';
  /** While the snapshot has subscribers, how often it is loaded again in case a broadcast was lost (ms). @default 60000 */
  resyncMs?: number;
}

/**
 * The status snapshot of `client`'s queue for UIs (online, counts in total, per lane and per user,
 * the next retry, `lastSyncedAt`, the current drain's progress): calling the result returns the
 * snapshot, the same object until something changed; `subscribe(fn)` keeps it current from the
 * change feed, without a request per change:
 * `useSyncExternalStore(status.subscribe, status)`. Make one per client, outside render;
 * `client.close()` stops it.
 */
export function createFerryStatus(client: FerryClient, options: FerryStatusOptions = {}): FerryStatusSource {
  const parts = partsOf(client);
  const everyone = options.users === 'all';
  const store = statusStore({
    load: (doneSince, user) => {
      const since = doneSince === undefined ? {} : { doneSince };
      return parts.request({ type: 'status', ...since, ...(user !== undefined && { user }) });
    },
    scope: () => (everyone ? undefined : (parts.identity?.user ?? null)),
    feed: (fn) => parts.feed.subscribe(fn),
    now: () => parts.clock.now(),
    isOnline: () => typeof navigator !== 'object' || navigator.onLine !== false,
    resyncMs: options.resyncMs ?? 60_000,
    timers: parts.timers,
    pageEvents: typeof addEventListener === 'function' && typeof document === 'object',
  });
  // Another user signed in: another count.
  parts.userChanged.add(store.rescope);
  parts.closing.add(store.close);
  const { getSnapshot, subscribe, refresh } = store;
  return Object.assign(() => getSnapshot(), { getSnapshot, subscribe, refresh });
}
