export { FerryError } from './FerryError.ts';
export type { FerryErrorCode, FerryErrorData } from './FerryError.ts';
export { HTTP_METHODS, OPERATION_STATUSES } from './Operation.ts';
export type {
  HttpMethod,
  JsonValue,
  LastError,
  Operation,
  OperationInput,
  OperationStatus,
  ServerAnswer,
} from './Operation.ts';
export type { WalEntry, WalRecord, WalRecordType } from './WalRecord.ts';
export { WAL_RECORD_TYPES } from './WalRecord.ts';
export type { ListQuery, OpRecord, OutboxStore, OutboxTx, QuarantinedRecord, TxMode } from './OutboxStore.ts';
export { systemClock, systemRandom, systemTimers } from './Platform.ts';
export type { Clock, Random, Timers } from './Platform.ts';
export { RETRY_DEFAULTS, RetryPolicy } from './RetryPolicy.ts';
export type { RetryPolicyOptions } from './RetryPolicy.ts';
export { NetworkProbe } from './NetworkProbe.ts';
export type { OnlineSignal } from './NetworkProbe.ts';
export type { SendContext, SendFailure, SendResult, SendSuccess, Transport } from './Transport.ts';
export { Outbox } from './outbox/Outbox.ts';
export { Delivery } from './outbox/Delivery.ts';
export type {
  Change,
  ClaimRequest,
  Claimed,
  Exchange,
  ExchangeResult,
  OutboxOptions,
  SendFacts,
  Settlement,
} from './outbox/Outbox.ts';
export type { OpPatch } from './state/edit.ts';
export type { RetryFilter } from './state/retry.ts';
export { Wal } from './Wal.ts';
export { SyncWorker } from './SyncWorker.ts';
export type { SyncWorkerOptions } from './SyncWorker.ts';
export type { LockManagerLike, RunnerLock } from './sync/runnerLock.ts';
export { MemoryStore } from './MemoryStore.ts';
export type { MemoryData, MemoryStoreOptions } from './MemoryStore.ts';
export { ferryNames } from './names.ts';
export { CLIENT_EVENTS, HOST_EVENTS, LOG_EVENTS, WORKBOX_EVENTS } from './log/events.ts';
export type { LogEventName } from './log/events.ts';
export { consoleSink } from './log/Logger.ts';
export type { LogEvent, LoggerOptions, LogLevel } from './log/Logger.ts';
export type { FerryNames } from './names.ts';
