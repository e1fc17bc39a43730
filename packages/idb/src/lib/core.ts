/**
 * The one place this package imports @ferry/core, so that the rest of it
 * names exactly what it uses from the engine.
 */
export { FerryError, OPERATION_STATUSES, systemClock } from '@ferry/core';
export { decodeOp, decodeWal, encodeOp, isRecord, laneId, laneOfRaw, promoteNext } from '@ferry/core/internal';
export type {
  Clock,
  FerryErrorCode,
  ListQuery,
  OpRecord,
  Operation,
  OperationStatus,
  OutboxStore,
  OutboxTx,
  QuarantinedRecord,
  TxMode,
  WalEntry,
  WalRecord,
} from '@ferry/core';
