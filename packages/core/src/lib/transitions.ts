/**
 * The op state machine, one function per transition. Each runs inside a
 * readwrite transaction, writes the outbox row and appends its WAL record,
 * and returns what changed. The invariants they keep together:
 *
 * - an op is *active* (pending or inflight) in exactly one lane, ordered by `seq`;
 * - only a lane's lowest-seq active op (its head) may be claimed, so ops that
 *   share a lane go out in enqueue order and at most one is in flight;
 * - a head that leaves the lane (done, failed, discarded) promotes the next op.
 */
import { FerryError } from '../FerryError.ts';
import type { LastError, Operation } from '../Operation.ts';
import type { OpRecord, OutboxTx } from '../OutboxStore.ts';
import type { RetryPolicy } from '../RetryPolicy.ts';
import type { SendResult } from '../Transport.ts';
import type { WalEntry, WalRecordType } from '../WalRecord.ts';
import { encodeOp, toOperation } from './records.ts';
import type { ValidInput } from './validateInput.ts';

/** What a committed transition reports to subscribers. */
export interface Change {
  type: WalRecordType;
  lsn: number;
  /** The op after the change; for `discard`, the op as it was. */
  op: Operation;
}

/** The lowest-seq active op of `lane`: the only one that may be claimed (or, in flight, the first of its batch). */
async function laneHead(tx: OutboxTx, lane: string): Promise<OpRecord | undefined> {
  return (await tx.laneOps(lane, undefined, 1))[0];
}

export async function promoteNext(tx: OutboxTx, lane: string): Promise<void> {
  const head = await laneHead(tx, lane);
  if (head && head.status === 'pending' && !head.dueKey) await tx.putOp(encodeOp(toOperation(head), true));
}

export async function mustGet(tx: OutboxTx, id: string): Promise<OpRecord> {
  const rec = await tx.getOp(id);
  if (!rec) throw new FerryError('not-found', `no operation ${JSON.stringify(id)}`);
  return rec;
}

export function mustHoldLease(rec: OpRecord, owner: string): void {
  // Reference bug 4: the seed completed ops nobody had claimed.
  if (rec.status !== 'inflight') throw new FerryError('invalid-state', `operation ${rec.id} is ${rec.status}, not inflight`);
  if (rec.leaseOwner !== owner) throw new FerryError('invalid-state', `operation ${rec.id} is leased by ${rec.leaseOwner}, not ${owner}`);
}

/**
 * Thrown inside {@link insert} when caller-given ids are already stored: the
 * transaction is aborted and the caller retries the batch without them. The
 * look-up runs alongside the writes, so the common case (no duplicate) pays
 * no extra round trip; the rare one pays a second transaction.
 */
export class StoredDuplicates extends Error {
  readonly ids: ReadonlySet<string>;
  constructor(ids: ReadonlySet<string>) {
    super(`already stored: ${[...ids].join(', ')}`);
    this.ids = ids;
  }
}

/** Inserts validated inputs. An id repeated within the batch is rejected, never overwritten. */
export async function insert(tx: OutboxTx, items: readonly ValidInput[], now: number): Promise<{ changes: (Change | FerryError)[] }> {
  const seen = new Set<string>();
  const fresh = items.map((it) => {
    const dup = seen.has(it.id);
    seen.add(it.id);
    return !dup;
  });
  const lanes = [...new Set(items.filter((_, i) => fresh[i]).map((it) => it.lane))];
  // Round trips are the cost of a small transaction: reads and WAL appends go out together.
  const [existing, heads, lsns] = await Promise.all([
    Promise.all(items.map((it, i) => (it.idGiven && fresh[i] ? tx.getOp(it.id) : undefined))),
    Promise.all(lanes.map((lane) => laneHead(tx, lane))),
    Promise.all(items.map((it, i) => (fresh[i] ? tx.appendWal({ type: 'put', opId: it.id, at: now, status: 'pending', op: build(it, 0, now) }) : 0))),
  ]);
  const stored = new Set(items.filter((_, i) => existing[i] !== undefined).map((it) => it.id));
  if (stored.size > 0) throw new StoredDuplicates(stored);
  const laneTaken = new Map(lanes.map((lane, i) => [lane, heads[i] !== undefined]));
  const changes: (Change | FerryError)[] = [];
  const writes: Promise<void>[] = [];
  items.forEach((it, i) => {
    if (!fresh[i]) {
      changes.push(new FerryError('duplicate-id', `an operation with id ${JSON.stringify(it.id)} is already stored`));
      return;
    }
    const lsn = lsns[i] as number;
    const op = build(it, lsn, now);
    const isHead = !laneTaken.get(it.lane);
    laneTaken.set(it.lane, true);
    writes.push(tx.addOp(encodeOp(op, isHead)));
    changes.push({ type: 'put', lsn, op });
  });
  await Promise.all(writes);
  return { changes };
}

function build(it: ValidInput, seq: number, now: number): Operation {
  const { idGiven: _, ...fields } = it;
  return { ...fields, status: 'pending', seq, attempt: 0, nextAttemptAt: now, createdAt: now, updatedAt: now };
}

/**
 * Claims up to `limit` due lane heads for `owner` until `now + leaseMs`,
 * after returning expired leases to `pending` in the same transaction (the
 * seed's tick does both; one transaction costs less than two). With
 * `perLane > 1`, each head comes with up to `perLane - 1` of the due pending
 * ops right behind it in its lane, for one batch send; they are all in flight
 * together, so the lane still has one send at a time. Returns the requeue
 * changes followed by the claims, each lane's ops together in enqueue order.
 */
export async function claim(
  tx: OutboxTx,
  owner: string,
  limit: number,
  leaseMs: number,
  policy: RetryPolicy,
  now: number,
  perLane = 1,
): Promise<Change[]> {
  let [expired, heads] = await Promise.all([tx.expiredLeases(now, limit), tx.dueHeads(now, limit)]);
  const requeued = expired.length > 0 ? await requeueLeased(tx, expired, policy, now) : [];
  if (requeued.length > 0) heads = await tx.dueHeads(now, limit);
  const runs = perLane > 1 ? await Promise.all(heads.map(async (head) => [head, ...readyBehind(await tx.laneOps(head.lane, head.seq, perLane - 1), now)])) : [heads];
  const claimed = await Promise.all(
    runs.flat().map(async (rec) => {
      const op: Operation = { ...toOperation(rec), status: 'inflight', leaseOwner: owner, leaseUntil: now + leaseMs, updatedAt: now };
      const [lsn] = await Promise.all([
        tx.appendWal({ type: 'claim', opId: op.id, at: now, status: 'inflight', attempt: op.attempt, leaseOwner: owner }),
        tx.putOp(encodeOp(op, true)),
      ]);
      return { type: 'claim' as const, lsn, op };
    }),
  );
  return [...requeued, ...claimed];
}

/** The leading ops of `behind` (a lane after its head) that could be sent now: pending and due. */
function readyBehind(behind: readonly OpRecord[], now: number): OpRecord[] {
  const stop = behind.findIndex((r) => r.status !== 'pending' || r.nextAttemptAt > now);
  return stop === -1 ? [...behind] : behind.slice(0, stop);
}

/** Marks a claimed op done. Only the lease holder may. */
export async function complete(tx: OutboxTx, id: string, owner: string, now: number): Promise<Change> {
  const rec = await mustGet(tx, id);
  mustHoldLease(rec, owner);
  const { op, entry } = afterDone(rec, now);
  // Requests run in issue order, so the lane-head read already sees this op done.
  const [lsn] = await Promise.all([tx.appendWal(entry), tx.putOp(encodeOp(op, false)), promoteNext(tx, op.lane)]);
  return { type: 'done', lsn, op };
}

/** An op and its WAL record after a transition, before they are written. */
export interface Outcome<T extends WalRecordType = WalRecordType> {
  type: T;
  op: Operation;
  entry: WalEntry;
}

/** What a successful send makes of a claimed op. */
export function afterDone(rec: OpRecord, now: number): Outcome<'done'> {
  const op: Operation = { ...toOperation(rec), status: 'done', attempt: rec.attempt + 1, updatedAt: now };
  delete op.leaseOwner;
  delete op.leaseUntil;
  return { type: 'done', op, entry: { type: 'done', opId: op.id, at: now, status: 'done', attempt: op.attempt } };
}

export interface FailureFacts {
  result: SendResult;
  /** The probe said offline after the send: the attempt is not spent (SPEC, RetryPolicy). */
  offline: boolean;
}

/**
 * Records a failed send: retryable → pending again after a backoff (or
 * `failed` once attempts run out); permanent → `failed`. The attempt count is
 * persisted in the same transaction (reference bug 1), and a failed op leaves
 * its lane so that it is never ready again by itself (bug 2).
 */
export async function recordFailure(
  tx: OutboxTx,
  id: string,
  owner: string,
  facts: FailureFacts,
  policy: RetryPolicy,
  now: number,
): Promise<Change> {
  const rec = await mustGet(tx, id);
  mustHoldLease(rec, owner);
  const { type, op, entry } = afterFailure(rec, facts, policy, now);
  const [lsn] = await Promise.all([
    tx.appendWal(entry),
    // A retried op stays its lane's head; a failed one leaves the lane to the next.
    tx.putOp(encodeOp(op, type === 'retry')),
    type === 'fail' ? promoteNext(tx, op.lane) : undefined,
  ]);
  return { type, lsn, op };
}

/** What a failed send makes of a claimed op (see {@link recordFailure}). */
export function afterFailure(rec: OpRecord, facts: FailureFacts, policy: RetryPolicy, now: number): Outcome<'retry' | 'fail'> {
  const { result, offline } = facts;
  const spend = !offline && !result.free;
  const attempt = rec.attempt + (spend ? 1 : 0);
  const retryable = result.retryable === true;
  const lastError: LastError = { message: result.error ?? (retryable ? 'temporary failure' : 'rejected'), retryable, at: now };
  if (result.status !== undefined) lastError.status = result.status;
  const base: Operation = { ...toOperation(rec), attempt, lastError, updatedAt: now };
  delete base.leaseOwner;
  delete base.leaseUntil;

  if (!retryable || policy.exhausted(attempt)) {
    if (retryable) lastError.message = `gave up after ${attempt} attempts: ${lastError.message}`;
    const op: Operation = { ...base, status: 'failed' };
    return { type: 'fail', op, entry: { type: 'fail', opId: op.id, at: now, status: 'failed', attempt, error: lastError } };
  }
  const wait = spend ? policy.delay(attempt, result.retryAfterMs) : (result.retryAfterMs ?? 0);
  const op: Operation = { ...base, status: 'pending', nextAttemptAt: now + wait };
  return {
    type: 'retry',
    op,
    entry: { type: 'retry', opId: op.id, at: now, status: 'pending', attempt, nextAttemptAt: op.nextAttemptAt, error: lastError },
  };
}

/**
 * Returns in-flight ops to `pending` because their runner is gone (lease
 * ended, or the runner's lock was released). The outcome of that send is
 * unknown, so the attempt counts; the op keeps its idempotency key, so a
 * server that did apply it will recognise the resend. One at a time, in
 * enqueue order: the ops of one batch share a lane, and only the first of
 * them that stays queued may head it.
 */
export async function requeueLeased(tx: OutboxTx, recs: readonly OpRecord[], policy: RetryPolicy, now: number): Promise<Change[]> {
  const changes: Change[] = [];
  for (const rec of [...recs].sort((a, b) => a.seq - b.seq)) {
    const attempt = rec.attempt + 1;
    const lastError: LastError = { message: `lease held by ${rec.leaseOwner} ended without an outcome`, retryable: true, at: now };
    const op: Operation = { ...toOperation(rec), attempt, lastError, updatedAt: now, status: 'pending', nextAttemptAt: now };
    delete op.leaseOwner;
    delete op.leaseUntil;
    if (policy.exhausted(attempt)) {
      op.status = 'failed';
      lastError.message = `gave up after ${attempt} attempts: ${lastError.message}`;
      const [lsn] = await Promise.all([
        tx.appendWal({ type: 'fail', opId: op.id, at: now, status: 'failed', attempt, error: lastError }),
        tx.putOp(encodeOp(op, false)),
        promoteNext(tx, op.lane),
      ]);
      changes.push({ type: 'fail', lsn, op });
      continue;
    }
    const head = await laneHead(tx, op.lane);
    const [lsn] = await Promise.all([
      tx.appendWal({ type: 'requeue', opId: op.id, at: now, status: 'pending', attempt, nextAttemptAt: now }),
      tx.putOp(encodeOp(op, head?.id === op.id)),
    ]);
    changes.push({ type: 'requeue', lsn, op });
  }
  return changes;
}

/** Puts a failed op back at the end of its lane with a fresh attempt budget. */
export async function retryFailed(tx: OutboxTx, id: string, now: number): Promise<Change> {
  const rec = await mustGet(tx, id);
  if (rec.status !== 'failed') throw new FerryError('invalid-state', `operation ${id} is ${rec.status}; only failed operations can be retried`);
  // A new seq moves it behind the lane's queued ops: it cannot overtake an op already in flight.
  const head = await laneHead(tx, rec.lane);
  const draft: Operation = { ...toOperation(rec), status: 'pending', attempt: 0, nextAttemptAt: now, updatedAt: now };
  // A fresh start: the old error would make a requeued op look like one that is retrying.
  delete draft.lastError;
  const lsn = await tx.appendWal({ type: 'requeue', opId: id, at: now, status: 'pending', attempt: 0, nextAttemptAt: now, op: draft });
  const op: Operation = { ...draft, seq: lsn };
  await tx.putOp(encodeOp(op, head === undefined));
  return { type: 'requeue', lsn, op };
}

/** Removes an op that is not in flight. */
export async function discard(tx: OutboxTx, id: string, now: number): Promise<Change> {
  const rec = await mustGet(tx, id);
  if (rec.status === 'inflight') throw new FerryError('invalid-state', `operation ${id} is in flight; discard it after the send settles`);
  const lsn = await tx.appendWal({ type: 'discard', opId: id, at: now });
  await tx.deleteOp(id);
  if (rec.status === 'pending') await promoteNext(tx, rec.lane);
  return { type: 'discard', lsn, op: toOperation(rec) };
}
