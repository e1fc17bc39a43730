import type { Clock, OutboxStore, Random, RetryPolicyOptions, Timers, Transport } from '@ferry/core';
import type { HttpTransportOptions } from './HttpTransport.ts';
import type { ChannelLike, SyncManagerLike } from './lib/platform.ts';
import type { LockManagerLike } from './Runner.ts';

export interface FerryHostOptions {
  /** An HttpTransport's options, or any Transport. @default a HttpTransport on this origin */
  transport?: HttpTransportOptions | Transport;
  /** Opens the store. @default `IdbStore.open()` from @ferry/idb */
  store?: () => Promise<OutboxStore>;
  retry?: Partial<RetryPolicyOptions>;
  /** @default `location.origin`, read when used */
  origin?: () => string;
  /** Origins besides the host's own that targets may point at. @default [] */
  allowedOrigins?: readonly string[];
  /** @default 262144 */
  maxPayloadBytes?: number;
  /** SyncWorker settings. @default 32 / 6 / 60000 */
  batchLimit?: number;
  concurrency?: number;
  leaseMs?: number;
  /**
   * Most ops of one lane per send. Above 1 the transport must batch: give the
   * HttpTransport a `batchTarget` (`transport: { batchTarget: '/api/batch' }`).
   * @default 25 when the transport can batch, else 1
   */
  batchSize?: number;
  /** @default 10000 */
  offlineRecheckMs?: number;
  /** @default `navigator.onLine`, read when used */
  isOnline?: () => boolean;
  /** @default `navigator.locks` */
  locks?: () => LockManagerLike | undefined;
  /** @default a BroadcastChannel named `ferry` */
  channel?: () => ChannelLike | undefined;
  /** @default `self.registration.sync` where Background Sync exists */
  backgroundSync?: () => SyncManagerLike | undefined;
  clock?: Clock;
  timers?: Timers;
  random?: Random;
  /** Told about unexpected errors (storage failures, a lost lease...). @default console.warn */
  onError?: (err: unknown) => void;
  /**
   * How long done ops and WAL records are kept. After a drain, at most once
   * an hour, older ones are compacted away; queued and failed ops never are.
   * @default 604800000 (7 days)
   */
  retentionMs?: number;
}
