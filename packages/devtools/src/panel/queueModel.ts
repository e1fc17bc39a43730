/** What the queue view shows, computed from the ops not yet done and the recent WAL records. Pure. */
import type { Operation, WalRecord } from '@ferry/core';

/** One lane of one user. */
export interface LaneRow {
  lane: string;
  user?: string;
  pending: number;
  inflight: number;
  failed: number;
  /** Why the lane's head waits for a release (its user's credentials), when it does. */
  held?: string;
  /** When the lane's next pending op is due. */
  nextAttemptAt?: number;
}

/** A paused origin (a `Retry-After`, or the panel's "unreachable for N s"): its lanes wait until `until`. */
export interface PausedOrigin {
  origin: string;
  until: number;
}

/** The lanes of `ops`, by lane then user, each with its counts, hold and next due time. */
export function lanesOf(ops: readonly Operation[]): LaneRow[] {
  const rows = new Map<string, LaneRow>();
  for (const op of ops) {
    const key = JSON.stringify([op.lane, op.user ?? null]);
    let row = rows.get(key);
    if (!row)
      rows.set(
        key,
        (row = { lane: op.lane, ...(op.user !== undefined && { user: op.user }), pending: 0, inflight: 0, failed: 0 }),
      );
    if (op.status === 'done') continue;
    row[op.status]++;
    if (op.held !== undefined) row.held = op.held;
    if (op.status === 'pending' && op.held === undefined)
      row.nextAttemptAt = Math.min(row.nextAttemptAt ?? Infinity, op.nextAttemptAt);
  }
  return [...rows.values()].sort((a, b) => a.lane.localeCompare(b.lane) || (a.user ?? '').localeCompare(b.user ?? ''));
}

/**
 * The origins still paused at `now`: the latest `defer` record of each queued op names the end of its pause;
 * its origin is its target's (`base` resolves a same-origin path).
 */
export function pausedOrigins(
  records: readonly WalRecord[],
  ops: readonly Operation[],
  now: number,
  base: string,
): PausedOrigin[] {
  const byId = new Map(ops.map((op) => [op.id, op]));
  const until = new Map<string, number>();
  for (const r of records) {
    const op = byId.get(r.opId);
    if (r.type !== 'defer' || !op || r.nextAttemptAt === undefined || r.nextAttemptAt <= now) continue;
    const origin = originOf(op.target, base);
    until.set(origin, Math.max(until.get(origin) ?? 0, r.nextAttemptAt));
  }
  return [...until].map(([origin, at]) => ({ origin, until: at }));
}

/**
 * The paused origins at `now`: the host's pauses merged with those read from the records (which outlive a worker
 * restart, its pauses do not), the latest end of each origin kept.
 */
export function mergePauses(a: readonly PausedOrigin[], b: readonly PausedOrigin[], now: number): PausedOrigin[] {
  const until = new Map<string, number>();
  for (const p of [...a, ...b]) if (p.until > now) until.set(p.origin, Math.max(until.get(p.origin) ?? 0, p.until));
  return [...until].map(([origin, at]) => ({ origin, until: at }));
}

/** The origin of an op's `target`, a same-origin path resolved against `base`. */
export function originOf(target: string, base: string): string {
  try {
    return new URL(target, base).origin;
  } catch {
    return target;
  }
}

/** Wall-clock ms as `HH:MM:SS.mmm` (UTC). */
export const clockTime = (ms: number): string => new Date(ms).toISOString().slice(11, 23);

/** What a record says beyond its type and status: the error, the pause, the hold, the lease. */
export function detailOf(r: WalRecord): string {
  const parts: string[] = [];
  if (r.error) {
    const status = r.error.status === undefined ? '' : `${r.error.status} `;
    parts.push(`${status}${r.error.message}${r.error.retryable ? ' (retryable)' : ''}`);
  }
  if (r.reason !== undefined) parts.push(r.reason);
  if ((r.type === 'retry' || r.type === 'defer') && r.nextAttemptAt !== undefined)
    parts.push(`next attempt ${clockTime(r.nextAttemptAt)}`);
  return parts.join('; ');
}
