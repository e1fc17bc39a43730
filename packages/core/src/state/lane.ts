/**
 * The op state machine lives in this folder, one file per group of
 * transitions. Each transition runs inside a readwrite transaction, writes the
 * outbox row and appends its WAL record, and returns what changed. The
 * invariants they keep together:
 *
 * - an op is *active* (pending or inflight) in exactly one lane, ordered by `seq`;
 * - only a lane's lowest-seq active op (its head) may be claimed, so ops that
 *   share a lane go out in enqueue order and at most one is in flight;
 * - a head that leaves the lane (done, failed, removed) promotes the next op;
 * - an op that may have reached the server (claimed at least once under its
 *   key) is never edited in place, and its key never carries another payload.
 *
 * This file holds what every transition shares: the change record and the lane reads.
 */
import { FerryError } from '../FerryError.ts';
import type { Operation } from '../Operation.ts';
import type { OpRecord, OutboxTx } from '../OutboxStore.ts';
import type { RetryPolicy } from '../RetryPolicy.ts';
import type { WalRecordType } from '../WalRecord.ts';

/** What every transition is given besides its own arguments: the retry rules, and the time it happens at. */
export interface Transition {
  policy: RetryPolicy;
  /** The Outbox clock's reading for this transaction. */
  now: number;
}

/** What a committed transition reports to subscribers. */
export interface Change {
  type: WalRecordType;
  lsn: number;
  /** The op after the change; for `remove`, the op as it was. */
  op: Operation;
}

/**
 * The lowest-seq active op of the lane `lane` (a laneId): the only one that
 * may be claimed (or, in flight, the first of its batch).
 */
export async function laneHead(tx: OutboxTx, lane: string): Promise<OpRecord | undefined> {
  return (await tx.laneOps(lane, undefined, 1))[0];
}

export async function mustGet(tx: OutboxTx, id: string): Promise<OpRecord> {
  const rec = await tx.getOp(id);
  if (!rec) throw new FerryError('not-found', `no operation ${JSON.stringify(id)}`);
  return rec;
}

/** Removes the claim's fields from an op that leaves flight. */
export function dropLease(op: Operation): void {
  delete op.leaseOwner;
  delete op.leaseUntil;
  delete op.leaseToken;
  delete op.onWire;
}

/**
 * Whether the server may have the op under its current key: it was claimed
 * (a claim is a send) since it got that key. Ops stored before Ferry kept the
 * flag count as sent once they have any failure on record.
 */
export function possiblyDelivered(op: Pick<Operation, 'possiblyDelivered' | 'attempt' | 'failures'>): boolean {
  return op.possiblyDelivered === true || op.attempt > 0 || (op.failures ?? 0) > 0;
}

/** When `maxAgeMs` starts counting for an op: its last retry, else its enqueue. */
export function ageFrom(op: Pick<Operation, 'createdAt' | 'retriedAt'>): number {
  return op.retriedAt ?? op.createdAt;
}

/** Why an op failed for its age. */
export function tooOldMessage(op: Pick<Operation, 'createdAt' | 'retriedAt'>, policy: RetryPolicy, now: number) {
  const since = op.retriedAt === undefined ? 'queued' : 'retried';
  return `expired: ${since} ${now - ageFrom(op)} ms ago, longer than maxAgeMs (${policy.options.maxAgeMs})`;
}
