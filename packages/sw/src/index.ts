export { createFerryHost } from './FerryHost.ts';
export type { ChannelLike, FerryHost, ReplyPort, ServiceWorkerScopeLike, SyncManagerLike } from './FerryHost.ts';
export type { CredentialsFeature } from './credentials/feature.ts';
export type {
  DeliveryOptions,
  DevtoolsHost,
  FerryHostOptions,
  HostTransportOptions,
  PlatformOptions,
  StorageOptions,
} from './options.ts';
export { ferryHandlers } from './handlers.ts';
export type { FerryHandlers, ListenOptions, ListeningHost } from './handlers.ts';
export { HttpTransport } from './http/HttpTransport.ts';
export type { FetchLike, HttpTransportOptions, ReachabilityOptions } from './http/HttpTransport.ts';
export type { BatchMode } from './http/batch.ts';
export type { SendSpan, SendTracer } from './http/tracing.ts';
export { defaultClassify, saysKeyInUse } from './http/classify.ts';
export type { Classify, ClassifyContext, Verdict } from './http/classify.ts';
export {
  CHANNEL_NAME,
  FERRY_MARKER,
  LOCK_NAME,
  PROTOCOL_VERSION,
  SYNC_TAG,
  isFerryMessage,
  parseRequest,
  summarize,
} from '@ferry/core/protocol';
export type {
  ChangeMessage,
  ChangeSummary,
  Envelope,
  KickReason,
  OpSummary,
  Parsed,
  PingResult,
  Reply,
  Request,
  RequestBody,
  RequestType,
  Results,
} from '@ferry/core/protocol';
