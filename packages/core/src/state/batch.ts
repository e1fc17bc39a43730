/**
 * The outcome of one batch send: several ops of one lane, claimed together,
 * sent in one request, settled in one transaction. The server applies them in
 * order and stops at the first failure, so Ferry reads the answers the same
 * way: the leading successes are done; the first failure is recorded like a
 * single send's (backoff, attempt spent, or failed); the ops behind it were
 * not attempted and go back to the lane, in order, spending nothing.
 */
import { FerryError } from '../FerryError.ts';
import type { Operation } from '../Operation.ts';
import type { OpRecord, OutboxTx } from '../OutboxStore.ts';
import type { RetryPolicy } from '../RetryPolicy.ts';
import type { SendResult } from '../Transport.ts';
import { laneId } from '../lib/lanes.ts';
import { encodeOp, toOperation } from '../lib/records.ts';
import type { Change } from './lane.ts';
import { dropLease, mustGet } from './lane.ts';
import { promoteNext } from '../lib/promoteNext.ts';
import type { Claimed, FailureFacts, Outcome } from './settle.ts';
import { afterDone, afterFailure, mustHoldLease } from './settle.ts';

/** What {@link settleBatch} records. */
export interface BatchOutcome {
  /** The batch as claimed, in the order it was sent (enqueue order within one lane). */
  run: readonly Claimed[];
  /** `results[i]` answers `run[i]`; a missing one means not attempted. */
  results: readonly (SendResult | undefined)[];
  /** Offline or stopped: the failure spends no attempt. */
  facts: Omit<FailureFacts, 'result'>;
  policy: RetryPolicy;
  now: number;
}

export async function settleBatch(tx: OutboxTx, { run, results, facts, policy, now }: BatchOutcome): Promise<Change[]> {
  const recs = await Promise.all(run.map((c) => mustGet(tx, c.id)));
  recs.forEach((rec, i) => {
    mustHoldLease(rec, run[i] as Claimed);
    const prev = recs[i - 1];
    if (prev && (laneId(rec) !== laneId(prev) || rec.seq <= prev.seq)) {
      throw new FerryError(
        'invalid-state',
        `a batch is consecutive ops of one lane; ${rec.id} does not follow ${prev.id}`,
      );
    }
  });
  const firstMiss = results.slice(0, recs.length).findIndex((r) => r?.ok !== true);
  const split = firstMiss === -1 ? Math.min(results.length, recs.length) : firstMiss;

  const outcomes: { outcome: Outcome; head: boolean }[] = recs
    .slice(0, split)
    .map((rec, i) => ({ outcome: afterDone(rec, now, results[i]?.answer), head: false }));
  // Whoever comes first among the ops still queued heads the lane again.
  let headFree = true;
  const missed = results[split];
  const missedRec = recs[split];
  if (missedRec && missed && !missed.ok) {
    const outcome = afterFailure(missedRec, { ...facts, result: missed }, policy, now);
    headFree = outcome.type === 'fail';
    outcomes.push({ outcome, head: !headFree });
  }
  for (const rec of recs.slice(missed ? split + 1 : split)) {
    outcomes.push({ outcome: notAttempted(rec, now), head: headFree });
    headFree = false;
  }
  const writes = Promise.all(
    outcomes.map(async ({ outcome, head }): Promise<Change> => {
      const [lsn] = await Promise.all([tx.appendWal(outcome.entry), tx.putOp(encodeOp(outcome.op, head))]);
      return { type: outcome.type, lsn, op: outcome.op };
    }),
  );
  // Issued after every write above, so it sees them: the whole batch left the lane, the next op heads it.
  const [changes] = await Promise.all([writes, headFree ? promoteNext(tx, laneId(recs[0] as OpRecord)) : undefined]);
  return changes;
}

/** A claimed op the server never got to: back to the lane, due now, attempt not spent. */
function notAttempted(rec: OpRecord, now: number): Outcome<'requeue'> {
  const op: Operation = { ...toOperation(rec), status: 'pending', nextAttemptAt: now, updatedAt: now };
  dropLease(op);
  return {
    type: 'requeue',
    op,
    entry: { type: 'requeue', opId: op.id, at: now, status: 'pending', attempt: op.attempt, nextAttemptAt: now },
  };
}
