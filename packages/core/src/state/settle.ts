/**
 * Recording what became of a send: done, failed (retry later, hold, or a
 * dead letter), or unknown because its runner is gone. Only the claim that
 * holds an op may record its outcome.
 */
import { FerryError } from '../FerryError.ts';
import type { LastError, Operation, ServerAnswer } from '../Operation.ts';
import type { OpRecord, OutboxTx } from '../OutboxStore.ts';
import type { RetryPolicy } from '../RetryPolicy.ts';
import type { SendFailure } from '../Transport.ts';
import type { WalEntry, WalRecordType } from '../WalRecord.ts';
import { laneId } from '../lib/lanes.ts';
import { encodeOp, toOperation } from '../lib/records.ts';
import type { Change } from './lane.ts';
import { ageFrom, dropLease, laneHead, mustGet, tooOldMessage } from './lane.ts';
import { promoteNext } from '../lib/promoteNext.ts';

/** What recording an outcome must present: the op as its claim returned it (its lease owner and token). */
export type Claimed = Pick<Operation, 'id' | 'leaseOwner' | 'leaseToken'>;

/**
 * Fences an outcome: only the claim that holds the op now may record it,
 * and it must present its token (`invalid-argument` without one). A claim
 * that was superseded (its lease ended, the op was requeued and claimed
 * again) gets `lease-superseded`, and nothing changes.
 */
export function mustHoldLease(rec: OpRecord, claim: Claimed): void {
  if (claim.leaseToken === undefined) {
    throw new FerryError(
      'invalid-argument',
      `recording an outcome of operation ${rec.id} must present its claim's leaseToken`,
    );
  }
  if (rec.leaseToken !== claim.leaseToken) {
    throw new FerryError(
      'lease-superseded',
      `operation ${rec.id} is no longer held by claim ${claim.leaseToken} (it is ${rec.status}); its answer changes nothing`,
    );
  }
  // Only an op in flight has an outcome: a pending, done or failed op was never sent under this claim.
  if (rec.status !== 'inflight')
    throw new FerryError('invalid-state', `operation ${rec.id} is ${rec.status}, not inflight`);
  if (rec.leaseOwner !== claim.leaseOwner)
    throw new FerryError(
      'invalid-state',
      `operation ${rec.id} is leased by ${rec.leaseOwner}, not ${claim.leaseOwner}`,
    );
}

/** Marks a claimed op done. Only the claim that holds it may. */
export async function complete(tx: OutboxTx, claim: Claimed, now: number, answer?: ServerAnswer): Promise<Change> {
  const rec = await mustGet(tx, claim.id);
  mustHoldLease(rec, claim);
  const { op, entry } = afterDone(rec, now, answer);
  // Requests run in issue order, so the lane-head read already sees this op done.
  const [lsn] = await Promise.all([tx.appendWal(entry), tx.putOp(encodeOp(op, false)), promoteNext(tx, laneId(op))]);
  return { type: 'done', lsn, op };
}

/** An op and its WAL record after a transition, before they are written. */
export interface Outcome<T extends WalRecordType = WalRecordType> {
  type: T;
  op: Operation;
  entry: WalEntry;
}

/** What a successful send makes of a claimed op. */
export function afterDone(rec: OpRecord, now: number, answer?: ServerAnswer): Outcome<'done'> {
  const op: Operation = {
    ...toOperation(rec),
    status: 'done',
    attempt: rec.attempt + 1,
    updatedAt: now,
    ...(answer && { answer }),
  };
  dropLease(op);
  return { type: 'done', op, entry: { type: 'done', opId: op.id, at: now, status: 'done', attempt: op.attempt } };
}

export interface FailureFacts {
  result: SendFailure;
  /** The probe said offline after the send: the attempt is not spent, and the op is due again at once. */
  offline?: boolean;
  /** The runner stopped and cut the send short: nothing spent, due again at once. */
  stopped?: boolean;
}

/**
 * Records a failed send: retryable → pending again after a backoff (or
 * `failed` once attempts run out); permanent → `failed`. The attempt count is
 * persisted in the same transaction, and a failed op leaves its lane so that
 * it is never ready again by itself.
 */
export async function recordFailure(
  tx: OutboxTx,
  { claim, facts, policy, now }: { claim: Claimed; facts: FailureFacts; policy: RetryPolicy; now: number },
): Promise<Change> {
  const rec = await mustGet(tx, claim.id);
  mustHoldLease(rec, claim);
  const { type, op, entry } = afterFailure(rec, facts, policy, now);
  const [lsn] = await Promise.all([
    tx.appendWal(entry),
    // A retried or held op stays its lane's head; a failed one leaves the lane to the next.
    tx.putOp(encodeOp(op, type !== 'fail')),
    type === 'fail' ? promoteNext(tx, laneId(op)) : undefined,
  ]);
  return { type, lsn, op };
}

/**
 * What a failed send makes of a claimed op (see {@link recordFailure}).
 * Only the server's answers spend attempts: a failure the transport marks
 * `free` (no answer while the origin answered nothing else; 409 in progress),
 * or one while offline or stopped, spends none. Every failure but offline or
 * stopped ones grows the backoff, so an outage costs few requests.
 */
export function afterFailure(
  rec: OpRecord,
  facts: FailureFacts,
  policy: RetryPolicy,
  now: number,
): Outcome<'retry' | 'fail' | 'hold'> {
  const { result } = facts;
  const idle = facts.offline === true || facts.stopped === true;
  const spend = !idle && result.free !== true;
  const attempt = rec.attempt + (spend ? 1 : 0);
  const failures = (rec.failures ?? rec.attempt) + (idle ? 0 : 1);
  const retryable = result.retryable === true;
  const lastError: LastError = {
    message: result.error ?? (retryable ? 'temporary failure' : 'rejected'),
    retryable,
    at: now,
  };
  if (result.status !== undefined) lastError.status = result.status;
  if (result.since !== undefined) lastError.since = result.since;
  const base: Operation = { ...toOperation(rec), attempt, failures, lastError, updatedAt: now };
  dropLease(base);
  // The answer to this send, if any: an earlier one no longer describes the op.
  if (result.answer) base.answer = result.answer;
  else delete base.answer;

  const tooOld = retryable && policy.tooOld(ageFrom(rec), now);
  if (!retryable || policy.exhausted(attempt) || tooOld) {
    if (tooOld && !policy.exhausted(attempt))
      lastError.message = `${tooOldMessage(rec, policy, now)}; last failure: ${lastError.message}`;
    else if (retryable) lastError.message = `gave up after ${attempt} attempts: ${lastError.message}`;
    const op: Operation = { ...base, status: 'failed' };
    return {
      type: 'fail',
      op,
      entry: { type: 'fail', opId: op.id, at: now, status: 'failed', attempt, error: lastError },
    };
  }
  if (result.hold !== undefined) {
    // Waits for its user's credentials, not for a time: released when they come (see release).
    const op: Operation = { ...base, status: 'pending', nextAttemptAt: now, held: result.hold };
    return {
      type: 'hold',
      op,
      entry: { type: 'hold', opId: op.id, at: now, status: 'pending', attempt, reason: result.hold, error: lastError },
    };
  }
  // Due again no later than the moment it passes maxAgeMs, when the claim fails it; a Retry-After binds even when idle.
  const backoff = idle ? policy.retryAfter(result.retryAfterMs) : policy.delay(failures, result.retryAfterMs);
  const wait = Math.min(backoff, ageFrom(rec) + policy.options.maxAgeMs + 1 - now);
  const op: Operation = { ...base, status: 'pending', nextAttemptAt: now + Math.max(0, wait) };
  return {
    type: 'retry',
    op,
    entry: {
      type: 'retry',
      opId: op.id,
      at: now,
      status: 'pending',
      attempt,
      nextAttemptAt: op.nextAttemptAt,
      error: lastError,
    },
  };
}

/**
 * Returns in-flight ops to `pending` because their runner is gone (lease
 * ended, or the runner's lock was released). A send that started (the runner
 * marked it on the wire, see markOnWire) has an unknown outcome, so the
 * attempt counts; a claim that never went out spends nothing. Either way the
 * op keeps its idempotency key, so a server that did apply it recognises the
 * resend. One at a time, in enqueue order: the ops of one batch share a lane,
 * and only the first of them that stays queued may head it.
 */
export async function requeueLeased(
  tx: OutboxTx,
  recs: readonly OpRecord[],
  policy: RetryPolicy,
  now: number,
): Promise<Change[]> {
  const changes: Change[] = [];
  for (const rec of [...recs].sort((a, b) => a.seq - b.seq)) {
    const sent = rec.onWire === true;
    const attempt = rec.attempt + (sent ? 1 : 0);
    const op: Operation = { ...toOperation(rec), attempt, updatedAt: now, status: 'pending', nextAttemptAt: now };
    dropLease(op);
    if (sent) {
      op.failures = (rec.failures ?? rec.attempt) + 1;
      op.lastError = { message: `lease held by ${rec.leaseOwner} ended without an outcome`, retryable: true, at: now };
    }
    if (sent && policy.exhausted(attempt)) {
      op.status = 'failed';
      const lastError = op.lastError as LastError;
      lastError.message = `gave up after ${attempt} attempts: ${lastError.message}`;
      const [lsn] = await Promise.all([
        tx.appendWal({ type: 'fail', opId: op.id, at: now, status: 'failed', attempt, error: lastError }),
        tx.putOp(encodeOp(op, false)),
        promoteNext(tx, laneId(op)),
      ]);
      changes.push({ type: 'fail', lsn, op });
      continue;
    }
    const head = await laneHead(tx, laneId(op));
    const [lsn] = await Promise.all([
      tx.appendWal({ type: 'requeue', opId: op.id, at: now, status: 'pending', attempt, nextAttemptAt: now }),
      tx.putOp(encodeOp(op, head?.id === op.id)),
    ]);
    changes.push({ type: 'requeue', lsn, op });
  }
  return changes;
}

/**
 * Records that the sends of these claims started: from now on a runner that
 * dies leaves an outcome that is unknown, and its requeue spends an attempt.
 * A claim that no longer holds its op is skipped.
 */
export async function markOnWire(tx: OutboxTx, claims: readonly Claimed[], now: number): Promise<Change[]> {
  const recs = await Promise.all(claims.map((c) => tx.getOp(c.id)));
  const held = recs.filter(
    (rec, i): rec is OpRecord => rec?.status === 'inflight' && rec.leaseToken === claims[i]?.leaseToken && !rec.onWire,
  );
  return Promise.all(
    held.map(async (rec) => {
      const op: Operation = { ...toOperation(rec), onWire: true };
      const [lsn] = await Promise.all([
        tx.appendWal({ type: 'send', opId: op.id, at: now, status: 'inflight', attempt: op.attempt }),
        tx.putOp(encodeOp(op, true)),
      ]);
      return { type: 'send' as const, lsn, op };
    }),
  );
}
