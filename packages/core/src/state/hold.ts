/** Heads that wait for something other than their backoff: a pause their origin asked for, or a release. */
import type { Operation } from '../Operation.ts';
import type { OpRecord, OutboxTx } from '../OutboxStore.ts';
import { HELD_DUE } from '../lib/lanes.ts';
import { encodeOp, toOperation } from '../lib/records.ts';
import type { Change } from './lane.ts';

/** A head whose destination asked for a pause: due again when the pause ends, nothing spent. */
export async function pauseHead(tx: OutboxTx, rec: OpRecord, until: number, now: number): Promise<Change> {
  const op: Operation = { ...toOperation(rec), nextAttemptAt: until, updatedAt: now };
  const reason = 'its origin is paused (a Retry-After, or the DevTools panel)';
  const [lsn] = await Promise.all([
    tx.appendWal({
      type: 'defer',
      opId: op.id,
      at: now,
      status: 'pending',
      attempt: op.attempt,
      nextAttemptAt: until,
      reason,
    }),
    tx.putOp(encodeOp(op, true)),
  ]);
  return { type: 'defer', lsn, op };
}

/** A head that cannot be sent until released (see {@link release}): it leaves the due set, nothing spent. */
export async function holdHead(tx: OutboxTx, rec: OpRecord, reason: string, now: number): Promise<Change> {
  const op: Operation = { ...toOperation(rec), held: reason, updatedAt: now };
  const [lsn] = await Promise.all([
    tx.appendWal({ type: 'hold', opId: op.id, at: now, status: 'pending', attempt: op.attempt, reason }),
    tx.putOp(encodeOp(op, true)),
  ]);
  return { type: 'hold', lsn, op };
}

/**
 * Releases the held lane heads `match` picks (their user's credentials
 * came): each is due again at its own `nextAttemptAt`, so a backoff that was
 * running still runs. Held heads sit apart in the due index, so this reads
 * only them (one per held lane).
 */
export async function release(tx: OutboxTx, match: (op: Operation) => boolean, now: number): Promise<Change[]> {
  const changes: Change[] = [];
  const held = await tx.dueHeads(HELD_DUE, Infinity, HELD_DUE);
  for (const rec of held) {
    const before = toOperation(rec);
    if (before.held === undefined || !match(before)) continue;
    const op: Operation = { ...before, updatedAt: now };
    delete op.held;
    const [lsn] = await Promise.all([
      tx.appendWal({
        type: 'release',
        opId: op.id,
        at: now,
        status: 'pending',
        attempt: op.attempt,
        nextAttemptAt: op.nextAttemptAt,
      }),
      tx.putOp(encodeOp(op, true)),
    ]);
    changes.push({ type: 'release', lsn, op });
  }
  return changes;
}
