import type { Timers } from '@ferry/core';
import type { ChangeSummary, StatusResult } from '@ferry/core/protocol';
import type { FerryStatus } from './FerryStatus.ts';
import { StatusState } from './StatusState.ts';
import { followed } from './followed.ts';

/**
 * The status snapshot in the shape `useSyncExternalStore` expects: call it
 * (or `getSnapshot`) for the current snapshot, the same object until
 * something changed; `subscribe` keeps it current and says when it changed.
 */
export interface FerryStatusSource {
  (): FerryStatus;
  getSnapshot(): FerryStatus;
  /**
   * Calls `onChange` after each change of the snapshot; returns a cleanup. While
   * anyone is subscribed the snapshot is kept current: loaded with one `status`
   * request, then from the change feed alone (no request per change), and loaded
   * again on `online`, on the page turning visible and on a slow timer (a
   * broadcast may be lost when the worker is killed between commit and broadcast).
   */
  subscribe(onChange: () => void): () => void;
  /** Loads the snapshot again now (one request) and resolves with it; works without subscribers too. */
  refresh(): Promise<FerryStatus>;
}

export interface StatusStoreOptions {
  /** The `status` request, for `user`'s ops (null: nobody's; undefined: everyone's). */
  load: (doneSince: number | undefined, user: string | null | undefined) => Promise<StatusResult>;
  /** Whose ops the snapshot counts, read at each load and change: a user, null (nobody's), undefined (everyone's). */
  scope: () => string | null | undefined;
  /** The change feed (`client.subscribe`). */
  feed: (fn: (change: ChangeSummary) => void) => () => void;
  now: () => number;
  isOnline: () => boolean;
  /** How often a subscribed snapshot is loaded again (ms). */
  resyncMs: number;
  timers: Timers;
  /** Listen to the page's `online`, `offline` and `visibilitychange`. */
  pageEvents: boolean;
}

/** How far before a drain's start a load looks for its delivered ops (ms): a claim's broadcast reaches the page after the claim. */
const DRAIN_SLACK_MS = 10_000;

/** The page's status snapshot over a client's requests and change feed. */
export function statusStore(o: StatusStoreOptions): FerryStatusSource & { close(): void; rescope(): void } {
  let state = new StatusState();
  /** Counts scope changes: a load that answered for an earlier scope is dropped. */
  let generation = 0;
  let loaded = false;
  let hostOnline: boolean | null = null;
  let snap: FerryStatus | undefined;
  /** Changes that came while a load ran: applied after it, those it already reflects skipped by LSN. */
  let buffer: ChangeSummary[] | undefined;

  const getSnapshot = (): FerryStatus => (snap ??= state.snapshot(loaded, o.isOnline(), hostOnline));
  const changed = (): void => {
    snap = undefined;
    live.notify();
  };
  const onChange = (change: ChangeSummary): void => {
    const scope = o.scope();
    if (scope !== undefined && (change.op.user ?? null) !== scope) return;
    if (buffer) buffer.push(change);
    else if (state.apply(change, o.now())) changed();
  };

  const loadOnce = async (): Promise<boolean | void> => {
    const before = getSnapshot();
    if (live.listening()) buffer = [];
    const asked = generation;
    try {
      const since = state.drainStartedAt;
      const result = await o.load(since === undefined ? undefined : since - DRAIN_SLACK_MS, o.scope());
      if (asked !== generation) {
        // The signed-in user changed meanwhile: that answer is another user's; the load runs again.
        buffer = undefined;
        return true;
      }
      state.load(result, o.now());
      loaded = true;
      hostOnline = result.online;
    } catch {
      // The worker did not answer: what is known stays, the changes that came are applied, and the next resync asks again.
    }
    const came = buffer ?? [];
    buffer = undefined;
    for (const change of came) state.apply(change, o.now());
    snap = undefined;
    // The same snapshot object when nothing changed, as useSyncExternalStore needs.
    if (JSON.stringify(getSnapshot()) === JSON.stringify(before)) snap = before;
    else changed();
  };
  const live = followed({
    loadOnce,
    follow: () => o.feed(onChange),
    resyncMs: o.resyncMs,
    timers: o.timers,
    pageEvents: o.pageEvents,
    onNetwork: changed,
  });

  /** The scope changed (another user signed in): start over, and load again if anyone listens. */
  const rescope = (): void => {
    generation++;
    state = new StatusState();
    loaded = false;
    changed();
    if (live.listening()) live.resync();
  };

  return Object.assign(() => getSnapshot(), {
    getSnapshot,
    subscribe: live.subscribe,
    rescope,
    refresh: () => live.load().then(getSnapshot),
    close: live.close,
  });
}
