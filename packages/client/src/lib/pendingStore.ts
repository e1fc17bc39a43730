import type { Operation, Timers } from '@ferry/core';
import type { ChangeSummary } from '@ferry/core/protocol';
import { followed } from './followed.ts';

/**
 * The ops not yet done in the shape `useSyncExternalStore` expects: call it (or `getSnapshot`)
 * for the current list, the same array until something changed; `subscribe` keeps it current.
 */
export interface FerryPendingSource {
  (): readonly Operation[];
  getSnapshot(): readonly Operation[];
  /**
   * Calls `onChange` after each change of the list; returns a cleanup. While anyone is
   * subscribed the list is kept current: loaded with one `list` request, then from the change
   * feed (a `get` for an op it has not seen, or whose payload was edited), and loaded again on
   * `online`, on the page turning visible and on a slow timer (a broadcast may be lost).
   */
  subscribe(onChange: () => void): () => void;
  /** Loads the list again now (one request) and resolves with it; works without subscribers too. */
  refresh(): Promise<readonly Operation[]>;
}

export interface PendingStoreOptions {
  /** One `list` request for `user`'s ops (undefined: everyone's; null: nobody's, filtered here). */
  list: (user: string | undefined) => Promise<Operation[]>;
  get: (id: string) => Promise<Operation | undefined>;
  /** Whose ops, read at each load and change: a user, null (nobody's), undefined (everyone's). */
  scope: () => string | null | undefined;
  /** What the overlay keeps of the ops that are not done (kind, lane, the app's predicate). */
  keeps: (op: Operation) => boolean;
  /** The same test on what a broadcast says (kind, lane), before any request. */
  mayKeep: (op: ChangeSummary['op']) => boolean;
  feed: (fn: (change: ChangeSummary) => void) => () => void;
  resyncMs: number;
  timers: Timers;
  /** Listen to the page's `online` and `visibilitychange`. */
  pageEvents: boolean;
  /** Called at the first subscriber with what to call on a change of user and on close; returns a cleanup for the last. */
  attach: (hooks: { rescope: () => void; close: () => void }) => () => void;
}

/** More ops than this appearing at once are read with one `list` rather than a `get` each. */
const MAX_GETS = 16;

/** The page's overlay of the ops not done, over a client's requests and change feed. */
export function pendingStore(o: PendingStoreOptions): FerryPendingSource {
  let ops = new Map<string, Operation>();
  /** Whose ops `ops` are: an overlay subscribed again after a change of user starts empty. */
  let opsScope: string | null | undefined = o.scope();
  /** Counts scope changes and loads: an answer for an earlier one is dropped. */
  let generation = 0;
  /** Per op, a token renewed by each change and each `get`: a `get` answer is used only if its token is still there. */
  const seen = new Map<string, number>();
  let tick = 0;
  /** Ops to read with `get` at the end of this task. */
  let wanted: Set<string> | undefined;
  /** The ids changed while a load ran: read again after it (its answer may be older or newer than the change). */
  let touched: Set<string> | undefined;
  let snap: readonly Operation[] | undefined;

  const inScope = (op: { user?: string }): boolean => {
    const scope = o.scope();
    return scope === undefined || (op.user ?? null) === scope;
  };
  /** Drops what was loaded for another user (the user changed while nobody listened). */
  const ownScope = (): void => {
    if (o.scope() === opsScope) return;
    ops = new Map();
    opsScope = o.scope();
    snap = undefined;
  };
  const getSnapshot = (): readonly Operation[] => {
    ownScope();
    return (snap ??= [...ops.values()].sort((a, b) => a.seq - b.seq));
  };
  const changed = (): void => {
    snap = undefined;
    live.notify();
  };
  /** Puts what the host said of `id` (undefined: gone) into the overlay. */
  const set = (id: string, op: Operation | undefined): void => {
    const keep = op !== undefined && op.status !== 'done' && inScope(op) && o.keeps(op);
    if (keep) ops.set(id, op);
    else {
      seen.delete(id);
      if (!ops.delete(id)) return;
    }
    changed();
  };

  const fetchWanted = (): void => {
    const ids = wanted ?? new Set<string>();
    wanted = undefined;
    if (ids.size > MAX_GETS) return live.resync();
    for (const id of ids) {
      const asked = ++tick;
      seen.set(id, asked);
      const gen = generation;
      o.get(id).then(
        (op) => void (gen === generation && seen.get(id) === asked && set(id, op)),
        // The worker did not answer: the next resync reads it.
        () => {},
      );
    }
  };
  const want = (id: string): void => {
    if (!wanted) {
      wanted = new Set();
      queueMicrotask(fetchWanted);
    }
    wanted.add(id);
  };

  const onChange = (change: ChangeSummary): void => {
    const { op } = change;
    if (!inScope(op)) return;
    seen.set(op.id, ++tick);
    if (touched) return void touched.add(op.id);
    const known = ops.get(op.id);
    if (change.type === 'remove' || op.status === 'done' || !o.mayKeep(op)) return set(op.id, undefined);
    if (!known || change.type === 'update') return want(op.id);
    // The broadcast carries the op's state but not its payload: the rest is as loaded.
    const { lastError: _e, held: _h, answer: _a, ...rest } = known;
    set(op.id, { ...rest, ...op });
  };

  const loadOnce = async (): Promise<boolean | void> => {
    const asked = ++generation;
    // Every `get` still on its way is dropped (by generation): the list is read after it.
    seen.clear();
    touched = new Set();
    try {
      const scope = o.scope();
      const listed = await o.list(scope ?? undefined);
      if (asked !== generation) return true;
      const before = JSON.stringify(getSnapshot());
      ops = new Map();
      opsScope = scope;
      for (const op of listed) if (op.status !== 'done' && inScope(op) && o.keeps(op)) ops.set(op.id, op);
      snap = undefined;
      if (JSON.stringify(getSnapshot()) !== before) changed();
    } catch {
      // The worker did not answer: what is known stays, and the next resync asks again.
    } finally {
      const came = touched;
      touched = undefined;
      if (asked === generation) for (const id of came) want(id);
    }
  };
  /** The scope changed (another user signed in): start over, and load again if anyone listens. */
  const rescope = (): void => {
    generation++;
    ops = new Map();
    opsScope = o.scope();
    changed();
    if (live.listening()) live.resync();
  };
  const live = followed({
    loadOnce,
    follow: () => {
      ownScope();
      const detach = o.attach({ rescope, close: () => live.close() });
      const off = o.feed(onChange);
      return () => {
        detach();
        off();
      };
    },
    resyncMs: o.resyncMs,
    timers: o.timers,
    pageEvents: o.pageEvents,
  });

  return Object.assign(() => getSnapshot(), {
    getSnapshot,
    subscribe: live.subscribe,
    refresh: () => live.load().then(getSnapshot),
  });
}
