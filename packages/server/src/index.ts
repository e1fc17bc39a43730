export { Idempotency, storesByDefault } from './Idempotency.ts';
export type { AppHandler, HandlerContext, IdempotencyOptions, ScopeOf } from './IdempotencyOptions.ts';
export { createBatchHandler } from './BatchHandler.ts';
export type { BatchItem, BatchOptions, BatchResult } from './BatchHandler.ts';
export { createAdminHandler } from './admin.ts';
export type { AdminOptions } from './admin.ts';
export { createHandler } from './createHandler.ts';
export { FerryServerError } from './FerryServerError.ts';
export type { FerryServerErrorCode } from './FerryServerError.ts';
export { MemoryIdempotencyStore } from './MemoryIdempotencyStore.ts';
export type { MemoryIdempotencyStoreOptions } from './MemoryIdempotencyStore.ts';
/** @deprecated renamed {@link MemoryIdempotencyStore}, distinct from `@ferry/core`'s `MemoryStore` (ops). */
export { MemoryIdempotencyStore as MemoryStore } from './MemoryIdempotencyStore.ts';
export type { HandlerOptions } from './createHandler.ts';
export { problem } from './problem.ts';
export type { ProblemBody, ProblemCode } from './problem.ts';
export type {
  ClaimInput,
  ClaimRef,
  ClaimResult,
  IdempotencyStore,
  KeyDetail,
  KeyRecord,
  ListOptions,
  PurgeOptions,
  Settlement,
  Sql,
  StoredAnswer,
  TransactResult,
} from './IdempotencyStore.ts';
