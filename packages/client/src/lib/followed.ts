import type { Timers } from '@ferry/core';

export interface FollowOptions {
  /** One load (a request); resolves true when its answer was stale and it must run again. */
  loadOnce: () => Promise<boolean | void>;
  /** Starts following the change feed at the first subscriber; returns how to stop at the last. */
  follow: () => () => void;
  /** How often a followed store is loaded again (ms). */
  resyncMs: number;
  timers: Timers;
  /** Listen to the page's `online`, `offline` and `visibilitychange`. */
  pageEvents: boolean;
  /** The page's network changed; a store is loaded again when it comes online in any case. */
  onNetwork?: () => void;
}

/** The subscription life of a page store over the host; see {@link followed}. */
export interface Followed {
  /** Loads now; a call while a load runs makes one more load after it, and both share its promise. */
  load(): Promise<void>;
  resync(): void;
  /** Whether anyone is subscribed. */
  listening(): boolean;
  /** Calls every subscriber. */
  notify(): void;
  subscribe(onChange: () => void): () => void;
  /** Drops every subscriber and stops following. */
  close(): void;
}

/**
 * What the page's status snapshot and pending overlay share: loads coalesce, and while anyone is
 * subscribed the store follows the change feed and is loaded again on a slow timer, on `online` and
 * on the page turning visible (a broadcast is lost when a worker stops between commit and broadcast).
 */
export function followed(o: FollowOptions): Followed {
  const listeners = new Set<() => void>();
  let loading: Promise<void> | undefined;
  let again = false;
  let unfollow: (() => void) | undefined;
  let timer: unknown;

  const load = (): Promise<void> => {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      do {
        again = false;
        if (await o.loadOnce()) again = true;
      } while (again);
      loading = undefined;
    })();
    return loading;
  };
  const resync = (): void => void load();
  const arm = (): void => {
    if (timer !== undefined) o.timers.clearTimeout(timer);
    timer = o.timers.setTimeout(() => (resync(), arm()), o.resyncMs);
  };
  const onOnline = (): void => {
    o.onNetwork?.();
    resync();
  };
  const onOffline = (): void => o.onNetwork?.();
  const onVisible = (): void => {
    if (document.visibilityState === 'visible') resync();
  };

  const start = (): void => {
    unfollow = o.follow();
    if (o.pageEvents) {
      addEventListener('online', onOnline);
      addEventListener('offline', onOffline);
      document.addEventListener('visibilitychange', onVisible);
    }
    arm();
    resync();
  };
  const stop = (): void => {
    unfollow?.();
    unfollow = undefined;
    if (o.pageEvents) {
      removeEventListener('online', onOnline);
      removeEventListener('offline', onOffline);
      document.removeEventListener('visibilitychange', onVisible);
    }
    if (timer !== undefined) o.timers.clearTimeout(timer);
    timer = undefined;
  };

  return {
    load,
    resync,
    listening: () => unfollow !== undefined,
    notify: () => {
      for (const fn of [...listeners]) fn();
    },
    subscribe(onChange) {
      // A function of its own, so that subscribing the same callback twice needs two cleanups.
      const entry = (): void => onChange();
      listeners.add(entry);
      if (listeners.size === 1) start();
      return () => {
        if (!listeners.delete(entry)) return;
        if (listeners.size === 0) stop();
      };
    },
    close() {
      listeners.clear();
      stop();
    },
  };
}
