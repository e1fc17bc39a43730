/**
 * Retrying dead letters: a failed op goes back to its lane with a fresh
 * attempt budget and a fresh age. Where no op of its lane is in flight it
 * keeps its `seq`, so it goes out where it was enqueued (before the ops
 * queued after it); otherwise it queues behind the lane's ops, which cannot
 * be overtaken by an op that is not in flight while one of them is.
 */
import { FerryError } from '../FerryError.ts';
import type { Operation } from '../Operation.ts';
import type { ListQuery, OpRecord, OutboxTx } from '../OutboxStore.ts';
import { laneId } from '../lib/lanes.ts';
import { encodeOp, toOperation } from '../lib/records.ts';
import type { Change } from './lane.ts';
import { laneHead, mustGet } from './lane.ts';

/** Makes a fresh idempotency key. */
type NewKey = () => string;

/** Which dead letters a retry by filter puts back; every given field must match. */
export interface RetryFilter {
  /** Only this lane's (the app's lane name). */
  lane?: string;
  /** Only this user's. */
  user?: string;
  /** Only these ops; ids that are not failed are skipped. */
  ids?: readonly string[];
}

/**
 * Whether a retry must send under a new idempotency key: the last answer was
 * a 4xx, which a deduplicating server stores and would replay for the old key
 * (the IETF Idempotency-Key draft stores 4xx answers). Such an answer also
 * says the old key was not applied, so the op is no longer possibly delivered.
 * A retryable `409` is the exception: it says the first request with the key
 * is still running, and may yet be applied, so the key stays.
 */
function refused(op: Operation): boolean {
  const status = op.lastError?.status;
  const running = status === 409 && op.lastError?.retryable === true;
  return status !== undefined && status >= 400 && status < 500 && !running;
}

/** Puts one failed op back in its lane (see the file's comment). */
async function requeueFailed(tx: OutboxTx, rec: OpRecord, now: number, newKey: NewKey): Promise<Change> {
  const before = toOperation(rec);
  const head = await laneHead(tx, laneId(rec));
  const keepSeq = head?.status !== 'inflight';
  const draft: Operation = {
    ...before,
    status: 'pending',
    attempt: 0,
    failures: 0,
    nextAttemptAt: now,
    updatedAt: now,
    retriedAt: now,
  };
  // A fresh start: the old error would make a requeued op look like one that is retrying.
  delete draft.lastError;
  delete draft.held;
  if (refused(before)) {
    draft.idempotencyKey = newKey();
    delete draft.possiblyDelivered;
  }
  const entry = { type: 'requeue', opId: rec.id, at: now, status: 'pending', attempt: 0, nextAttemptAt: now } as const;
  const lsn = await tx.appendWal({ ...entry, op: draft });
  const op: Operation = keepSeq ? draft : { ...draft, seq: lsn };
  const isHead = keepSeq && (head === undefined || rec.seq < head.seq);
  // The head it goes before gives up its due key: a lane has one head.
  if (isHead && head) await tx.putOp(encodeOp(toOperation(head), false));
  await tx.putOp(encodeOp(op, isHead));
  return { type: 'requeue', lsn, op };
}

/** Puts a failed op back in its lane with a fresh attempt budget and age. */
export async function retryFailed(tx: OutboxTx, id: string, now: number, newKey: NewKey): Promise<Change> {
  const rec = await mustGet(tx, id);
  if (rec.status !== 'failed') {
    throw new FerryError('invalid-state', `operation ${id} is ${rec.status}; only failed operations can be retried`);
  }
  return requeueFailed(tx, rec, now, newKey);
}

/** Puts back every failed op `filter` picks, in enqueue order. */
export async function retryAll(tx: OutboxTx, filter: RetryFilter, now: number, newKey: NewKey): Promise<Change[]> {
  const { lane, user, ids } = filter;
  const picked = (r: OpRecord | undefined): r is OpRecord =>
    r?.status === 'failed' && (lane === undefined || r.lane === lane) && (user === undefined || r.user === user);
  const query: ListQuery = { status: 'failed', limit: Infinity };
  if (lane !== undefined) query.lane = lane;
  if (user !== undefined) query.user = user;
  const recs = ids ? (await Promise.all(ids.map((id) => tx.getOp(id)))).filter(picked) : await tx.listOps(query);
  const changes: Change[] = [];
  const seen = new Set<string>();
  for (const rec of recs.sort((a, b) => a.seq - b.seq)) {
    if (seen.has(rec.id)) continue;
    seen.add(rec.id);
    changes.push(await requeueFailed(tx, rec, now, newKey));
  }
  return changes;
}
