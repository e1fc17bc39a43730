import type { LastError, Operation, OperationStatus } from './Operation.ts';

/**
 * What happened to an op. `put` carries the whole op; the others carry the
 * fields they changed, so replaying from the first record rebuilds the outbox.
 */
export type WalRecordType =
  'put' | 'claim' | 'send' | 'done' | 'retry' | 'fail' | 'remove' | 'requeue' | 'defer' | 'hold' | 'release' | 'update';

export const WAL_RECORD_TYPES: readonly WalRecordType[] = [
  'put',
  'claim',
  'send',
  'done',
  'retry',
  'fail',
  'remove',
  'requeue',
  'defer',
  'hold',
  'release',
  'update',
];

/** Record types earlier versions wrote for a deleted op: read back as `remove`. */
export const LEGACY_REMOVE_TYPES: readonly string[] = ['cancel', 'discard'];

/** A WAL record before the store gives it its LSN. */
export interface WalEntry {
  type: WalRecordType;
  opId: string;
  /** Wall-clock ms of the change. */
  at: number;
  /** Status after the change (absent for `remove`). */
  status?: OperationStatus;
  attempt?: number;
  nextAttemptAt?: number;
  leaseOwner?: string;
  /** On `defer` and `hold`: why the op waits (its origin asked for a pause; no credentials for its user). */
  reason?: string;
  error?: LastError;
  /** The op as stored after the change; only on `put`, `update` and `requeue` of a failed op. */
  op?: Operation;
}

/** A stored WAL record. `lsn` increases monotonically and is never reused, also after compaction. */
export interface WalRecord extends WalEntry {
  v: 1;
  lsn: number;
}
