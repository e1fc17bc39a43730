export { createFerryClient } from './createFerryClient.ts';
export type {
  CredentialsProvider,
  CredentialsRequest,
  FerryClient,
  FerryClientOptions,
  PageTarget,
} from './createFerryClient.ts';
export type { PostTarget } from './lib/requester.ts';
export type { FerryStatusSource } from './lib/statusStore.ts';
export type { DrainProgress, FerryStatus, StatusCounts } from './lib/StatusState.ts';
export type { ChangeSummary, KickReason, OpSummary } from '@ferry/core/protocol';
