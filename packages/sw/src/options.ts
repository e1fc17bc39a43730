import type { Clock, LoggerOptions, OutboxStore, Random, RetryPolicyOptions, Timers, Transport } from '@ferry/core';
import type { HistoryQuery, HistoryResult, OriginPause, PauseQuery } from '@ferry/core/protocol';
import type { HttpTransportOptions } from './http/options.ts';
import type { AllowedOriginEntry } from './credentials/origins.ts';
import type { ChannelLike, SyncManagerLike } from './platform.ts';
import type { CredentialsFeature } from './credentials/feature.ts';
import type { LockManagerLike } from '@ferry/core';
import type { SendTracer } from './http/tracing.ts';

/**
 * The host's options, grouped by what they govern. Only `platform` stands
 * for the browser itself: tests replace it (`testPlatform()` from
 * `@ferry/sw/testing`), apps leave it alone. A bad value throws
 * `invalid-config` naming its path (`delivery.concurrency`).
 */
export interface FerryHostOptions {
  /**
   * The app's name on its origin, the same as the page client's `name`: it
   * derives the database, Web Lock, BroadcastChannel and sync tag
   * (`ferry-<name>`, see ferryNames), so two apps on one origin (`/app1/`,
   * `/app2/`, micro-frontends) never drain each other's queues. Several
   * hosts with different names can listen in one worker.
   * @default undefined: the names are `ferry`
   */
  name?: string;
  /**
   * Origins besides the host's own that targets may point at: `https://api.example`,
   * or `{ origin, credentials: 'include' }` for an API that needs cookies. Normalised
   * once (`new URL(o).origin`); an entry that is not an origin throws `invalid-config`.
   * @default []
   */
  allowedOrigins?: readonly AllowedOriginEntry[];
  /**
   * What the host logs, and where: `level` (`debug`, `info`, `warn`, `error` or `silent`) and `sink`, which
   * receives each event (see LOG_EVENTS in `@ferry/core` for the list). Nothing on a normal path (offline, an
   * outage, a gateway's 502/503/504, `Retry-After`) logs at `warn` or above.
   * @default `{ level: 'warn' }`, written to the console with a `[ferry]` prefix
   */
  logger?: LoggerOptions;
  /**
   * Traces each send of an op as a span, child of the span that enqueued it (see `@ferry/client/otel`), and
   * sends its W3C `traceparent`: `otel(tracer)` from `@ferry/sw/otel`. Needs the HTTP transport.
   * @default undefined: no span, no `traceparent`, none of the tracing code in the bundle
   */
  tracer?: SendTracer;
  /**
   * How ops go over the wire: the HTTP transport's options, or any Transport.
   * @default an HttpTransport on the host's origin with its own defaults
   */
  transport?: HostTransportOptions | Transport;
  /** When a failed send is tried again, and when an op gives up. @default RETRY_DEFAULTS from @ferry/core */
  retry?: Partial<RetryPolicyOptions>;
  /** How the queue is sent: parallel lanes, batches, leases. */
  delivery?: DeliveryOptions;
  /** Where ops are kept, and for how long. */
  storage?: StorageOptions;
  /**
   * Per-user credentials and sessions: `credentials()` from `@ferry/sw/credentials`. Without it the host
   * answers the page client's identity (`setUser`, `setCredentials`, sign-out) and ops stamped with a user with
   * `unsupported`; ops without a user go with the transport's `headers` hook.
   * @default undefined: no per-user credentials
   */
  credentials?: CredentialsFeature;
  /** The browser's parts the host uses; tests replace them. @default the globals, read when used */
  platform?: PlatformOptions;
  /**
   * The DevTools panel's host side: `devtoolsHost` from `@ferry/sw/devtools`. Without it the host refuses the
   * panel's `history` and `pauses` requests with `unsupported`. Pass it in development only
   * (`devtools: import.meta.env.DEV ? devtoolsHost : undefined`) and a production bundle holds none of it.
   * @default undefined
   */
  devtools?: DevtoolsHost;
}

/** What serves the DevTools panel's requests in the host: `devtoolsHost` from `@ferry/sw/devtools`. */
export interface DevtoolsHost {
  /** Answers a `history` request from `store`'s WAL. */
  history(store: OutboxStore, query: HistoryQuery): Promise<HistoryResult>;
  /** Answers a `pauses` request: starts `pause` on `origins` when set, then lists the pauses running. */
  pauses(origins: OriginPauses, pause: PauseQuery | undefined): OriginPause[];
}

/** The host's per-origin pauses (the HTTP transport's), as the DevTools host uses them. */
export interface OriginPauses {
  /** The host's own origin. */
  own: string;
  /** The origins a pause may name: the host's own and the allow-listed ones. */
  allowed: readonly string[];
  /** Wall-clock ms, from the host's clock. */
  now(): number;
  /** No request goes to `origin` before `until`. */
  pause(origin: string, until: number): void;
  /** The pauses running now. */
  list(): OriginPause[];
}

/**
 * The HTTP transport's options as the host takes them: the host supplies
 * the origin, the allow-list, the credentials, the clock and the timers
 * (`allowedOrigins`, `platform`), the tracer (`tracer`), and the retry policy, whose
 * `retry.maxRetryAfterMs` caps a `Retry-After`.
 */
export type HostTransportOptions = Omit<
  HttpTransportOptions,
  'origin' | 'allowedOrigins' | 'credentials' | 'clock' | 'timers' | 'retry' | 'tracer'
>;

export interface DeliveryOptions {
  /** Lanes sent at once. A positive integer. @default 6 */
  concurrency?: number;
  /** Most ops claimed per round of a drain. A positive integer. @default 32 */
  batchLimit?: number;
  /**
   * Most ops of one lane per send. Above 1 the transport must batch: give the
   * HttpTransport batch mode (`transport: { batch: batch({ target: '/api/batch' }) }`, from `@ferry/sw/batch`).
   * A positive integer. @default 25 when the transport can batch, else 1
   */
  batchSize?: number;
  /**
   * How long a claim holds an op (ms). It starts right before the send and
   * must be longer than the HTTP transport's `timeoutMs`, which covers the
   * whole send. @default 60000
   */
  leaseMs?: number;
  /** While offline with work due, how often the host looks again without a signal (ms). @default 10000 */
  offlineRecheckMs?: number;
}

export interface StorageOptions {
  /** Opens the store. @default `IdbStore.open()` from @ferry/idb, on the database named after the app */
  store?: () => Promise<OutboxStore>;
  /**
   * Durability of the default store's readwrite transactions: `strict` asks
   * the browser to flush to disk before a commit is reported, `relaxed` lets
   * it report once the write reached the OS. The storage-lost witness and the
   * reopening work with either. Ignored with a custom `store`.
   * @default 'strict'
   */
  durability?: IDBTransactionDurability;
  /**
   * How long done ops and WAL records are kept (ms). After a drain, at most
   * once an hour, older ones are compacted away; queued and failed ops never are.
   * @default 604800000 (7 days)
   */
  retentionMs?: number;
  /**
   * For development: how long WAL records and done ops are kept when that is longer than `retentionMs` (ms),
   * so that the DevTools panel shows the whole history of older ops. The WAL grows with every change meanwhile.
   * @default undefined: `retentionMs` alone
   */
  historyRetentionMs?: number;
  /** The largest payload an op may carry, in bytes of its JSON. @default 262144 */
  maxPayloadBytes?: number;
}

/** The browser, as the host sees it: each part a small provider, read when used. */
export interface PlatformOptions {
  /** The host's origin. @default `() => location.origin` */
  origin?: () => string;
  /** Whether the browser is online. @default `() => navigator.onLine` */
  isOnline?: () => boolean;
  /** Web Locks; without them the host drains unlocked and relies on leases alone. @default `() => navigator.locks` */
  locks?: () => LockManagerLike | undefined;
  /** Where changes are broadcast. @default a BroadcastChannel named after the app (`ferry`, see ferryNames) */
  channel?: () => ChannelLike | undefined;
  /** Background Sync. @default `() => self.registration.sync` where it exists */
  backgroundSync?: () => SyncManagerLike | undefined;
  /** @default `{ now: () => Date.now() }` */
  clock?: Clock;
  /** @default the global `setTimeout` and `clearTimeout` */
  timers?: Timers;
  /** The source of retry jitter. @default `() => Math.random()` */
  random?: Random;
}
