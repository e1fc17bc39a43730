export { createFerryClient } from './createFerryClient.ts';
export type {
  ClientPlatform,
  CredentialsProvider,
  CredentialsRequest,
  FerryClient,
  FerryClientOptions,
  PageMode,
  PageTarget,
  StatusOptions,
} from './types.ts';
export type { PostTarget } from './lib/requester.ts';
export type { FerryStatusSource } from './lib/statusStore.ts';
export type { DrainProgress, FerryStatus, StatusCounts } from './lib/FerryStatus.ts';
export type { ChangeSummary, KickReason, OpSummary } from '@ferry/core/protocol';
