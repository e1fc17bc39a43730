import type { OutboxTx } from '../OutboxStore.ts';
import { encodeOp, toOperation } from './records.ts';

/**
 * Gives the head of `lane` (a laneId) its due key when it is pending without
 * one: its predecessor left the lane (done, failed, removed, or quarantined
 * by the store). It reads and writes only through `tx`, so a store may call
 * it inside the transaction that moved a lane head aside (see `OutboxTx`).
 */
export async function promoteNext(tx: OutboxTx, lane: string): Promise<void> {
  const [head] = await tx.laneOps(lane, undefined, 1);
  if (head && head.status === 'pending' && !head.dueKey) await tx.putOp(encodeOp(toOperation(head), true));
}
