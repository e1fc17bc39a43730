export { ferryStatus } from './ferryStatus.ts';
export { op } from './op.ts';
export type { OpOptions } from './op.ts';
export { ops } from './ops.ts';
export type { OpsOptions } from './ops.ts';
export { pending } from './pending.ts';
export type { PendingQuery } from '@ferry/client/pending';
export type { FerryClient } from '@ferry/client';
export type { DrainProgress, FerryStatus, StatusCounts } from '@ferry/client/status';
