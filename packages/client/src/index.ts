export { createFerryClient } from './createFerryClient.ts';
export type { ClientPlatform, EnqueueTracer, FerryClient, FerryClientOptions, PageMode, PageTarget } from './types.ts';
export type { PostTarget } from './lib/requester.ts';
export type { ChangeSummary, KickReason, OpSummary } from '@ferry/core/protocol';
