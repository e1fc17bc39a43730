import type { Clock, OutboxStore, Random, RetryPolicyOptions, Timers, Transport } from '@ferry/core';
import type { HttpTransportOptions } from './http/HttpTransport.ts';
import type { AllowedOriginEntry } from './lib/origins.ts';
import type { ChannelLike, SyncManagerLike } from './lib/platform.ts';
import type { LockManagerLike } from './Runner.ts';

export interface FerryHostOptions {
  /**
   * The app's name on its origin, the same as the page client's `name`: it
   * derives the database, Web Lock, BroadcastChannel and sync tag
   * (`ferry-<name>`, see ferryNames), so two apps on one origin (`/app1/`,
   * `/app2/`, micro-frontends) never drain each other's queues. Several
   * hosts with different names can listen in one worker. @default none: the names are `ferry`
   */
  name?: string;
  /**
   * Keep the credentials pages hand over (`setCredentials`) in IndexedDB as
   * well as in memory, so that a Background Sync with no page open can send
   * a user's ops after the worker was stopped. The trade: tokens then sit at
   * rest in the profile, readable by any script of the origin, until the user
   * signs out. Off, a stopped worker holds the users' ops until a page of
   * theirs is open again. @default false
   */
  persistCredentials?: boolean;
  /** An HttpTransport's options, or any Transport. @default a HttpTransport on this origin */
  transport?: HttpTransportOptions | Transport;
  /** Opens the store. @default `IdbStore.open()` from @ferry/idb */
  store?: () => Promise<OutboxStore>;
  /**
   * Durability of the default store's readwrite transactions: `strict` asks
   * the browser to flush to disk before a commit is reported, `relaxed` lets
   * it report once the write reached the OS. The storage-lost witness and the
   * reopening work with either. Ignored with a custom `store`.
   * @default see README, Guarantees (chosen from measured kill rounds)
   */
  durability?: IDBTransactionDurability;
  retry?: Partial<RetryPolicyOptions>;
  /** @default `location.origin`, read when used */
  origin?: () => string;
  /**
   * Origins besides the host's own that targets may point at: `https://api.example`,
   * or `{ origin, credentials: 'include' }` for an API that needs cookies. Normalised
   * once (`new URL(o).origin`); an entry that is not an origin throws `invalid-config`. @default []
   */
  allowedOrigins?: readonly AllowedOriginEntry[];
  /** @default 262144 */
  maxPayloadBytes?: number;
  /** SyncWorker settings. @default 32 / 6 */
  batchLimit?: number;
  concurrency?: number;
  /**
   * How long a claim holds an op. It starts right before the send and must
   * be longer than the HTTP transport's `timeoutMs`, which covers the whole
   * send (a RangeError otherwise). @default 60000
   */
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
  /** @default a BroadcastChannel named after the app (`ferry`, see ferryNames) */
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
