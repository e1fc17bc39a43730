/**
 * The one place this package imports @ferry/core, so that the rest of it
 * names exactly what it uses from the engine.
 */
export { FerryError, decodeOp, decodeWal, encodeOp, laneId, laneOfRaw, promoteNext, systemClock } from '@ferry/core';
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
