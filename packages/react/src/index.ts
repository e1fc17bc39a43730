export { FerryProvider, useFerry } from './FerryProvider.ts';
export type { FerryProviderProps } from './FerryProvider.ts';
export { useFerryStatus } from './useFerryStatus.ts';
export { useOp } from './useOp.ts';
export type { UseOpOptions } from './useOp.ts';
export { useOps } from './useOps.ts';
export type { UseOpsOptions } from './useOps.ts';
export { useEnqueue } from './useEnqueue.ts';
export type { DrainProgress, FerryClient, FerryStatus, StatusCounts } from '@ferry/client';
