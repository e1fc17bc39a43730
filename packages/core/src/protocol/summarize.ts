import type { Operation } from '../Operation.ts';
import type { WalRecordType } from '../WalRecord.ts';
import type { ChangeMessage, OpSummary } from './messages.ts';
import { PROTOCOL_VERSION } from './names.ts';

/** The broadcast form of a committed change. */
export function summarize(change: { type: WalRecordType; lsn: number; op: Operation }): ChangeMessage {
  const { id, status, attempt, lastError, nextAttemptAt, lane, kind, seq, user, held, answer } = change.op;
  const op: OpSummary = { id, status, attempt, nextAttemptAt, lane, kind, seq };
  if (lastError) op.lastError = lastError;
  if (user !== undefined) op.user = user;
  if (held !== undefined) op.held = held;
  if (answer !== undefined) op.answer = answer;
  return { v: PROTOCOL_VERSION, type: 'change', change: { type: change.type, lsn: change.lsn, op } };
}
