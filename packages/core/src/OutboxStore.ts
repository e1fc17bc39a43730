import type { Operation, OperationStatus } from './Operation.ts';
import type { WalEntry, WalRecord } from './WalRecord.ts';

/**
 * An op as persisted: the Operation plus a schema version and the sparse
 * index keys the hot queries run on. Only `encodeOp` builds one.
 *
 * - `laneKey` = `[lane, seq]` while the op is pending or inflight (lane order, lane head).
 * - `dueKey` = `[nextAttemptAt, seq]` while the op is pending *and* heads its lane
 *   (the claim query reads only these, so a backlog of 100k ops costs nothing).
 * - `leaseUntil` (an Operation field) exists only while inflight (lease expiry query).
 * - `statusKey` = `[status, seq]` always (list by status in enqueue order).
 */
export interface OpRecord extends Operation {
  v: 1;
  laneKey?: [string, number];
  dueKey?: [number, number];
  statusKey: [OperationStatus, number];
}

/** A record that could not be read back, moved aside so that it never stops the worker. */
export interface QuarantinedRecord {
  /** Where it was found: `outbox` or `wal`, and its key there. */
  from: 'outbox' | 'wal';
  key: string | number;
  reason: string;
  at: number;
  raw: unknown;
}

export interface ListQuery {
  status?: OperationStatus;
  lane?: string;
  /** Only the ops of this user (see `Operation.user`). */
  user?: string;
  /** @default 1000 */
  limit?: number;
}

/**
 * The primitives the Outbox's state machine runs on, inside one transaction.
 * Implementations: {@link MemoryStore} (core) and `IdbStore` (@ferry/idb).
 *
 * Rules an implementation must keep (the conformance suite checks them):
 * - everything done through one `OutboxTx` commits together or not at all;
 * - readwrite transactions do not interleave with each other;
 * - reads return decoded records; a record that fails `decodeOp` is
 *   quarantined (in readwrite transactions) or skipped (in readonly ones),
 *   and reported to `onCorrupt`, never thrown;
 * - the callback must await nothing but this transaction's own calls.
 */
export interface OutboxTx {
  getOp(id: string): Promise<OpRecord | undefined>;
  /** Inserts a new op; rejects with `duplicate-id` if the id exists. */
  addOp(rec: OpRecord): Promise<void>;
  putOp(rec: OpRecord): Promise<void>;
  deleteOp(id: string): Promise<void>;
  /** Appends to the WAL; resolves with the record's LSN. */
  appendWal(entry: WalEntry): Promise<number>;
  /**
   * Up to `limit` active (pending or inflight) ops of `lane` in enqueue (seq)
   * order, only those with seq > `afterSeq` when it is given. The first is the
   * lane's head; a batch claim reads the ops behind it.
   */
  laneOps(lane: string, afterSeq: number | undefined, limit: number): Promise<OpRecord[]>;
  /**
   * Lane heads that are pending and due at `now`, by `[nextAttemptAt, seq]`;
   * with `from`, only those due at or after it (a release reads the held ones).
   */
  dueHeads(now: number, limit: number, from?: number): Promise<OpRecord[]>;
  /** The smallest `nextAttemptAt` over pending lane heads, if any. */
  nextDueAt(): Promise<number | undefined>;
  /** Inflight ops whose lease ended at or before `now`, by `leaseUntil`. */
  expiredLeases(now: number, limit: number): Promise<OpRecord[]>;
  /** The smallest `leaseUntil` over inflight ops, if any. */
  nextLeaseEnd(): Promise<number | undefined>;
  /** All inflight ops (to recover those of a runner known to be gone). */
  inflight(limit: number): Promise<OpRecord[]>;
  /** Ops in enqueue order, filtered by status, lane and user. */
  listOps(query: ListQuery): Promise<OpRecord[]>;
  countByStatus(): Promise<Record<OperationStatus, number>>;
  /** WAL records with `lsn >= fromLsn`, in LSN order. */
  walFrom(fromLsn: number, limit: number): Promise<WalRecord[]>;
  /** Deletes up to `limit` WAL records with `at < before`, oldest first, stopping at the first newer one. */
  deleteWalBefore(before: number, limit?: number): Promise<number>;
  /** Deletes up to `limit` done ops with `updatedAt < before`. */
  deleteDoneBefore(before: number, limit?: number): Promise<number>;
  /** A small value the engine keeps beside the queue (the last compaction's time...), or undefined. */
  getMeta(key: string): Promise<unknown>;
  putMeta(key: string, value: number | string | boolean | null): Promise<void>;
  quarantined(limit: number): Promise<QuarantinedRecord[]>;
}

export type TxMode = 'readonly' | 'readwrite';

export interface OutboxStore {
  /**
   * Runs `fn` in one transaction and resolves with its result after commit.
   * If `fn` throws or rejects, nothing it wrote is kept and the error is rethrown.
   */
  transaction<T>(mode: TxMode, fn: (tx: OutboxTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
