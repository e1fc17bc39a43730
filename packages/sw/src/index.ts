export { FerryHost, createFerryHost } from './FerryHost.ts';
export type { ChannelLike, FerryHostOptions, ReplyPort, ServiceWorkerScopeLike, SyncManagerLike } from './FerryHost.ts';
export { listen } from './listen.ts';
export type { ListeningHost } from './listen.ts';
export { HttpTransport } from './HttpTransport.ts';
export type { FetchLike, HttpTransportOptions } from './HttpTransport.ts';
export { Runner } from './Runner.ts';
export type { LockManagerLike, RunnerOptions } from './Runner.ts';
export { CHANNEL_NAME, LOCK_NAME, PROTOCOL_VERSION, SYNC_TAG, parseRequest, summarize } from './protocol.ts';
export type {
  ChangeMessage,
  ChangeSummary,
  KickReason,
  OpSummary,
  Parsed,
  PingResult,
  Reply,
  Request,
  RequestBody,
  RequestType,
  Results,
} from './protocol.ts';
