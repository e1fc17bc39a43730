export { createFerryClient } from './createFerryClient.ts';
export type { FerryClient, FerryClientOptions, PageTarget } from './createFerryClient.ts';
export type { PostTarget } from './lib/requester.ts';
export type { ChangeSummary, KickReason, OpSummary } from '@ferry/core/protocol';
