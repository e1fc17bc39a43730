/**
 * Claiming: a runner takes due lane heads (and, in batch mode, the due ops
 * right behind them) right before it sends them. A claim is a send: it marks
 * the op as possibly delivered for good. Expired leases go back first, in
 * the same transaction.
 */
import type { LastError, Operation } from '../Operation.ts';
import type { OpRecord, OutboxTx } from '../OutboxStore.ts';
import type { RetryPolicy } from '../RetryPolicy.ts';
import { laneId } from '../lib/lanes.ts';
import { encodeOp, toOperation } from '../lib/records.ts';
import { holdHead, pauseHead } from './hold.ts';
import type { Change, Transition } from './lane.ts';
import { ageFrom, tooOldMessage } from './lane.ts';
import { promoteNext } from '../lib/promoteNext.ts';
import { requeueLeased } from './settle.ts';

/** What to claim: for whom, how many lanes, for how long, and which heads to set aside. */
export interface ClaimRequest {
  /** Names the runner in leases. */
  owner: string;
  /** Most lanes claimed (their head, or a batch). */
  lanes: number;
  /** How long the claim holds its ops before another runner may take them back. */
  leaseMs: number;
  /** Most ops of one lane claimed together, for one batch send. @default 1 */
  perLane?: number;
  /** Lease tokens this runner has on the wire now: their leases are never requeued under it, even if they look expired. */
  live?: ReadonlySet<number>;
  /**
   * The caller just took the runner lock: every lease not in `live` belongs to a runner that is gone and goes
   * back before the claim, ended or not (see `Delivery.requeueOrphans`), in the same transaction. @default false
   */
  orphans?: boolean;
  /** When `op`'s destination asked for a pause (see Transport.pausedUntil). */
  pausedUntil?: (op: Operation, now: number) => number | undefined;
  /** Why `op` cannot be sent until released (no credentials for its user), if so (see Transport.holds). */
  holds?: (op: Operation) => string | undefined;
}

/** What a claim changed, and whether it stopped reading before it knew that nothing more is due. */
export interface ClaimResult {
  /** The requeue, defer, hold and fail changes, then the claims, each lane's ops together in enqueue order. */
  changes: Change[];
  /** True when it claimed fewer lanes than asked after setting heads aside in every read: claim again. */
  more: boolean;
}

/** Most expired leases one claim returns per read; it reads again while a read comes back full. */
const EXPIRED_PAGE = 500;
/** Most reads of due heads per claim: heads set aside (expired, held, deferred) make it read again. */
const READS = 8;

/**
 * Claims up to `limit` due lane heads for `owner` until `now + leaseMs`,
 * after returning expired leases to `pending` in the same transaction (one
 * transaction costs less than two). A head whose
 * destination asked for a pause is deferred to then, spending nothing; a
 * head older than `maxAgeMs` fails. With `perLane > 1`, each head comes
 * with up to `perLane - 1` of the due pending ops right behind it in its
 * lane, for one batch send, never one past `maxAgeMs`; they are all in flight
 * together, so the lane still has one send at a time. Each claimed op carries
 * its token, the LSN of its claim record, and is marked possibly delivered.
 */
export async function claim(
  tx: OutboxTx,
  { request, policy, now }: { request: ClaimRequest } & Transition,
): Promise<ClaimResult> {
  const { owner, lanes: limit, leaseMs, perLane = 1, ...options } = request;
  // The first read of due heads goes out with the look for expired leases; a requeue changes the due set, and then it
  // reads again.
  const early = limit > 0 ? tx.dueHeads(now, limit) : undefined;
  early?.catch(() => {}); // read only when nothing was requeued; a failed transaction rejects what awaits it
  const changes = await requeueExpired(tx, now, policy, options.live, options.orphans);
  let first = changes.length === 0 ? early : undefined;
  const runs: OpRecord[][] = [];
  // Deferred, held and expired heads leave the due set, so reading again finds the next ones; the
  // heads already taken are still in it (their claims are written below), so they are skipped.
  const taken = new Set<string>();
  let more = false;
  for (let round = 0; runs.length < limit; round++) {
    if (round === READS) {
      more = true;
      break;
    }
    const read = await (first ?? tx.dueHeads(now, limit - runs.length + taken.size));
    first = undefined;
    const heads = read.filter((h) => !taken.has(h.id));
    if (heads.length === 0) break;
    const set: OpRecord[] = [];
    for (const head of heads) {
      const op = toOperation(head);
      const asked = options.pausedUntil?.(op, now);
      // The retry policy bounds every pause a server can impose, as it bounds each Retry-After.
      const paused = asked === undefined ? undefined : now + policy.retryAfter(asked - now);
      const tooOld = policy.tooOld(ageFrom(op), now);
      const hold = tooOld ? undefined : options.holds?.(op);
      if (tooOld) changes.push(await expire(tx, head, policy, now));
      else if (hold !== undefined) changes.push(await holdHead(tx, head, hold, now));
      else if (paused !== undefined && paused > now) changes.push(await pauseHead(tx, head, paused, now));
      else set.push(head);
    }
    for (const head of set) taken.add(head.id);
    runs.push(
      ...(perLane > 1
        ? await Promise.all(
            set.map(async (head) => [
              head,
              ...readyBehind(await tx.laneOps(laneId(head), head.seq, perLane - 1), policy, now),
            ]),
          )
        : set.map((h) => [h])),
    );
    if (set.length === heads.length) break;
  }
  const recs = runs.flat();
  // The token is the claim record's LSN: appended first, then the ops written with it.
  const lsns = await Promise.all(
    recs.map((rec) =>
      tx.appendWal({
        type: 'claim',
        opId: rec.id,
        at: now,
        status: 'inflight',
        attempt: rec.attempt,
        leaseOwner: owner,
      }),
    ),
  );
  const claimed = await Promise.all(
    recs.map(async (rec, i) => {
      const lsn = lsns[i] as number;
      const lease = { leaseOwner: owner, leaseUntil: now + leaseMs, leaseToken: lsn };
      const op: Operation = {
        ...toOperation(rec),
        status: 'inflight',
        ...lease,
        possiblyDelivered: true,
        updatedAt: now,
      };
      await tx.putOp(encodeOp(op, true));
      return { type: 'claim' as const, lsn, op };
    }),
  );
  return { changes: [...changes, ...claimed], more };
}

/** Returns every expired lease (with `orphans`, every lease) not in `live` to its lane, a page at a time. */
async function requeueExpired(
  tx: OutboxTx,
  now: number,
  policy: RetryPolicy,
  live: ReadonlySet<number> | undefined,
  everyLease = false,
): Promise<Change[]> {
  const changes: Change[] = [];
  const skipped = new Set<string>();
  for (;;) {
    const limit = EXPIRED_PAGE + skipped.size;
    const expired = await (everyLease ? tx.inflight(limit) : tx.expiredLeases(now, limit));
    const orphans = expired.filter(
      (r) => !skipped.has(r.id) && !(r.leaseToken !== undefined && live?.has(r.leaseToken)),
    );
    for (const r of expired) if (r.leaseToken !== undefined && live?.has(r.leaseToken)) skipped.add(r.id);
    if (orphans.length > 0) changes.push(...(await requeueLeased(tx, orphans, policy, now)));
    if (expired.length < EXPIRED_PAGE + skipped.size || orphans.length === 0) return changes;
  }
}

/** A head that waited longer than `maxAgeMs`: a dead letter, and the lane moves on. */
async function expire(tx: OutboxTx, rec: OpRecord, policy: RetryPolicy, now: number): Promise<Change> {
  const lastError: LastError = { message: tooOldMessage(rec, policy, now), retryable: false, at: now };
  const op: Operation = { ...toOperation(rec), status: 'failed', lastError, updatedAt: now };
  const [lsn] = await Promise.all([
    tx.appendWal({ type: 'fail', opId: op.id, at: now, status: 'failed', attempt: op.attempt, error: lastError }),
    tx.putOp(encodeOp(op, false)),
    promoteNext(tx, laneId(op)),
  ]);
  return { type: 'fail', lsn, op };
}

/**
 * The leading ops of `behind` (a lane after its head) that could be sent now:
 * pending, due and within `maxAgeMs` (an expired one fails when it heads the lane).
 */
function readyBehind(behind: readonly OpRecord[], policy: RetryPolicy, now: number): OpRecord[] {
  const stop = behind.findIndex(
    (r) => r.status !== 'pending' || r.nextAttemptAt > now || policy.tooOld(ageFrom(r), now),
  );
  return stop === -1 ? [...behind] : behind.slice(0, stop);
}
