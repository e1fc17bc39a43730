import type { OperationStatus } from '@ferry/core';
import { OPERATION_STATUSES } from '@ferry/core';
import type { ChangeSummary, StatusResult } from '@ferry/core/protocol';
import type { DrainProgress, FerryStatus, StatusCounts } from './FerryStatus.ts';

type Unfinished = Exclude<OperationStatus, 'done'>;
interface Entry {
  status: Unfinished;
  lane: string;
  user: string | undefined;
  /** The lane as the store orders it: per user (see `laneId`). */
  key: string;
  nextAttemptAt: number;
  held: boolean;
  /** The LSN of the change that set this entry; 0 when it came from a load. */
  lsn: number;
}
type DrainMark = 'active' | 'done' | 'failed';

const zero = (): StatusCounts => ({ pending: 0, inflight: 0, done: 0, failed: 0 });
/** Changes that delete the op; the summary then carries the op as it was. */
const REMOVALS: ReadonlySet<string> = new Set(['remove']);
/** One lane (per user) of pending ops, and how many of them carry `held` (its head, normally). */
interface LaneWait {
  pending: Set<string>;
  marks: number;
}
const laneKey = (lane: string, user: string | undefined): string => {
  return user === undefined ? lane : `${lane}\u0000${user}`;
};

/**
 * The status snapshot's state, kept from one load and then the change feed:
 * a map of every op not yet done (its status, lane and user, so that a change
 * moves counts from the old status to the new), done ops counted only. Each
 * change costs O(1) except when it moves the earliest retry time, which is
 * then found again on the next snapshot. Pure: no platform, no requests.
 */
export class StatusState {
  #ops = new Map<string, Entry>();
  #counts = zero();
  #lanes = new Map<string, StatusCounts>();
  #users = new Map<string, StatusCounts>();
  #held = 0;
  #unsent = 0;
  #waits = new Map<string, LaneWait>();
  /** Set while a load rebuilds the state: lanes that turn held or free then do not touch the drain. */
  #loading = false;
  /** Changes at or below this LSN are already in the last load. */
  #floor = 0;
  #min: number | null = null;
  #minStale = false;
  #lastSyncedAt: number | null = null;
  #drain: { startedAt: number; ids: Map<string, DrainMark> } | undefined;

  /** When the current drain began, for the next load's `doneSince`; undefined without one. */
  get drainStartedAt(): number | undefined {
    return this.#drain?.startedAt;
  }

  /** Replaces everything with a load's result. Changes broadcast since are applied after, through {@link apply}. */
  load(result: StatusResult, now: number): void {
    this.#ops.clear();
    this.#counts = zero();
    this.#lanes.clear();
    this.#users.clear();
    this.#waits.clear();
    this.#held = this.#unsent = 0;
    this.#floor = result.lsn;
    this.#loading = true;
    for (const r of result.ops) {
      const { status, lane, user, nextAttemptAt } = r;
      const held = r.held !== undefined;
      this.#add(r.id, { status, lane, user, key: laneKey(lane, user), nextAttemptAt, held, lsn: 0 });
    }
    this.#loading = false;
    for (const g of result.done) {
      this.#bump('done', g.lane, g.user, g.count);
      if (this.#lastSyncedAt === null || g.lastAt > this.#lastSyncedAt) this.#lastSyncedAt = g.lastAt;
    }
    this.#minStale = true;
    const drain = this.#drain;
    if (drain) {
      // Broadcasts may have been lost: each of the drain's ops as the load found it.
      const recent = new Set(result.recent);
      for (const [id, mark] of drain.ids) {
        if (mark === 'done') continue;
        const e = this.#ops.get(id);
        if (e && this.#unsentEntry(e)) drain.ids.set(id, 'active');
        else if (e?.status === 'failed') drain.ids.set(id, 'failed');
        else if (!e && recent.has(id)) drain.ids.set(id, 'done');
        else drain.ids.delete(id);
      }
      for (const [id, e] of this.#ops) if (this.#unsentEntry(e)) drain.ids.set(id, 'active');
    } else if (this.#counts.inflight > 0) this.#startDrain(now);
    if (this.#unsent === 0) this.#drain = undefined;
  }

  /** Applies one broadcast change; false when it changed nothing (already in the last load, or older than what is known). */
  apply(change: ChangeSummary, now: number): boolean {
    if (change.lsn <= this.#floor) return false;
    const { op } = change;
    const prev = this.#ops.get(op.id);
    if (prev && change.lsn <= prev.lsn) return false;
    const removal = REMOVALS.has(change.type);
    if (prev) this.#remove(op.id, prev);
    // A done op is counted, not kept: its removal takes it from the count.
    else if (removal && op.status === 'done') this.#bump('done', op.lane, op.user, -1);
    let entry: Entry | undefined;
    const status = op.status;
    if (removal) {
      // Nothing to add: the op is gone.
    } else if (status === 'done') {
      this.#bump('done', op.lane, op.user, 1);
      this.#lastSyncedAt = now;
    } else {
      const { lane, user, nextAttemptAt } = op;
      const held = op.held !== undefined;
      entry = { status, lane, user, key: laneKey(lane, user), nextAttemptAt, held, lsn: change.lsn };
      this.#add(op.id, entry);
    }
    const drain = this.#drain;
    if (!drain) {
      if (change.type === 'claim') this.#startDrain(now);
    } else if (entry && this.#unsentEntry(entry)) drain.ids.set(op.id, 'active');
    else if (drain.ids.has(op.id)) {
      if (!removal && op.status === 'done') drain.ids.set(op.id, 'done');
      else if (entry?.status === 'failed') drain.ids.set(op.id, 'failed');
      else if (drain.ids.get(op.id) === 'active') drain.ids.delete(op.id);
    }
    if (this.#unsent === 0) this.#drain = undefined;
    return true;
  }

  /** A new snapshot object of the current state. */
  snapshot(loaded: boolean, online: boolean, hostOnline: boolean | null): FerryStatus {
    if (this.#minStale) {
      this.#min = null;
      for (const e of this.#ops.values()) this.#lower(e);
      this.#minStale = false;
    }
    let drain: DrainProgress | null = null;
    if (this.#drain) {
      drain = { startedAt: this.#drain.startedAt, total: this.#drain.ids.size, done: 0, failed: 0 };
      for (const mark of this.#drain.ids.values()) if (mark !== 'active') drain[mark]++;
    }
    return {
      loaded,
      online,
      hostOnline,
      counts: { ...this.#counts },
      lanes: copy(this.#lanes),
      users: copy(this.#users),
      held: this.#held,
      nextRetryAt: this.#min,
      lastSyncedAt: this.#lastSyncedAt,
      drain,
    };
  }

  #startDrain(now: number): void {
    const ids = new Map<string, DrainMark>();
    for (const [id, e] of this.#ops) if (this.#unsentEntry(e)) ids.set(id, 'active');
    this.#drain = { startedAt: now, ids };
  }

  /** In a held lane: pending, and its lane's head (or another of its ops) is held. */
  #waiting(e: Entry): boolean {
    return e.status === 'pending' && (this.#waits.get(e.key)?.marks ?? 0) > 0;
  }

  /** Pending in a lane that is not held: due at its `nextAttemptAt`. */
  #due(e: Entry): boolean {
    return e.status === 'pending' && !this.#waiting(e);
  }

  /** Takes `e`'s time as the earliest retry if it is due and earlier. */
  #lower(e: Entry): void {
    if (this.#due(e) && (this.#min === null || e.nextAttemptAt < this.#min)) this.#min = e.nextAttemptAt;
  }

  #unsentEntry(e: Entry): boolean {
    return e.status === 'inflight' || this.#due(e);
  }

  #add(id: string, e: Entry): void {
    this.#ops.set(id, e);
    this.#bump(e.status, e.lane, e.user, 1);
    if (e.status === 'inflight') this.#unsent++;
    if (e.status === 'pending') this.#inLane(e.key, (w) => (w.pending.add(id), e.held && w.marks++));
    if (!this.#minStale) this.#lower(e);
  }

  #remove(id: string, e: Entry): void {
    if (this.#due(e) && e.nextAttemptAt === this.#min) this.#minStale = true;
    this.#ops.delete(id);
    this.#bump(e.status, e.lane, e.user, -1);
    if (e.status === 'inflight') this.#unsent--;
    if (e.status === 'pending') this.#inLane(e.key, (w) => (w.pending.delete(id), e.held && w.marks--));
  }

  /**
   * Changes lane `key` with `fn`, keeping `held` and the unsent count: a lane counts all its pending ops as
   * held while any carries `held`, and as unsent otherwise. A lane that turns held takes its ops out of the
   * current drain; one that turns free puts them back.
   */
  #inLane(key: string, fn: (w: LaneWait) => unknown): void {
    let w = this.#waits.get(key);
    if (!w) this.#waits.set(key, (w = { pending: new Set(), marks: 0 }));
    const wasHeld = w.marks > 0;
    if (wasHeld) this.#held -= w.pending.size;
    else this.#unsent -= w.pending.size;
    fn(w);
    const isHeld = w.marks > 0;
    if (isHeld) this.#held += w.pending.size;
    else this.#unsent += w.pending.size;
    if (w.pending.size === 0 && w.marks === 0) this.#waits.delete(key);
    if (isHeld === wasHeld) return;
    this.#minStale = true;
    const drain = this.#drain;
    if (!drain || this.#loading) return;
    for (const id of w.pending) {
      if (isHeld && drain.ids.get(id) === 'active') drain.ids.delete(id);
      else if (!isHeld) drain.ids.set(id, 'active');
    }
  }

  #bump(status: OperationStatus, lane: string, user: string | undefined, by: number): void {
    this.#counts[status] += by;
    bumpIn(this.#lanes, lane, status, by);
    if (user !== undefined) bumpIn(this.#users, user, status, by);
  }
}

function bumpIn(map: Map<string, StatusCounts>, key: string, status: OperationStatus, by: number): void {
  let c = map.get(key);
  if (!c) map.set(key, (c = zero()));
  c[status] += by;
  if (OPERATION_STATUSES.every((s) => c[s] === 0)) map.delete(key);
}

/** fromEntries defines each key as an own property: a lane named `__proto__` stays a lane. */
function copy(map: Map<string, StatusCounts>): Record<string, StatusCounts> {
  return Object.fromEntries([...map].map(([k, c]) => [k, { ...c }]));
}
