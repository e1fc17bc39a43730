import type {
  Clock,
  ListQuery,
  LoggerOptions,
  Operation,
  OperationInput,
  OperationStatus,
  RetryFilter,
  Timers,
} from '@ferry/core';
import type { ChangeSummary, KickReason } from '@ferry/core/protocol';
import type { PostTarget } from './lib/requester.ts';

/** The host running in the page, from `@ferry/client/page`. */
export interface PageTarget extends PostTarget {
  close?(): Promise<void>;
}

export interface FerryClientOptions {
  /** The app's name on its origin: the same as its host's `name` (see ferryNames). @default undefined: `ferry` */
  name?: string;
  /** A request the worker has not answered by then rejects with `worker-timeout` (ms). @default 10000 */
  timeoutMs?: number;
  /**
   * How long `enqueue` keeps sending the same op (same id) after a `worker-timeout`
   * before it rejects with `worker-timeout` (ms): the outcome is then unknown. @default 30000
   */
  enqueueTimeoutMs?: number;
  /**
   * While a `whenDone` waits, how often it asks the worker again (ms). A broadcast can be lost
   * (a worker killed between its commit and its broadcast); this, and the page's `online` and
   * visible `visibilitychange`, make such a wait end anyway.
   * @default 10000
   */
  recheckMs?: number;
  /**
   * Traces each enqueue as a `ferry.enqueue` span, whose W3C `traceparent` the op keeps (`trace`): the worker's
   * send spans are its children (`@ferry/sw/otel`). `otel(tracer)` from `@ferry/client/otel`.
   * @default undefined: no span, none of the tracing code in the bundle
   */
  tracer?: EnqueueTracer;
  /** Forward the page's `online` and `visibilitychange` (visible) to the worker. @default true */
  forwardEvents?: boolean;
  /**
   * What the client logs, and where: `level` and `sink`, as the host's `logger` (LOG_EVENTS in `@ferry/core`
   * lists the events; the client's are `client.*`). A bad value throws `invalid-config`.
   * @default `{ level: 'warn' }`, written to the console with a `[ferry]` prefix
   */
  logger?: LoggerOptions;
  /**
   * Page mode: the host runs in the tab (`pageHost(options)` from `@ferry/client/page`, kept out of
   * the default bundle). @default undefined: the service worker only
   */
  page?: PageMode;
  /** The browser's parts the client uses; tests replace them. @default the globals, read when used */
  platform?: ClientPlatform;
}

/** Traces enqueues: `otel(tracer)` from `@ferry/client/otel` makes one. */
export interface EnqueueTracer {
  /** Enqueues `op` through `send` inside the enqueue's span, with that span as the op's `trace`. */
  enqueue(op: OperationInput, send: (op: OperationInput) => Promise<string>): Promise<string>;
}

/** Where requests go when there is no service worker, or always. */
export interface PageMode {
  /** The host in the page: `pageHost(options)` from `@ferry/client/page`. */
  host: () => PageTarget;
  /** Run it even where service workers exist. @default false: only where `navigator.serviceWorker` is missing */
  always?: boolean;
}

/** The browser, as the client sees it: each part a small provider, read when used. */
export interface ClientPlatform {
  /** @default `() => navigator.serviceWorker` where it exists */
  serviceWorker?: () => ServiceWorkerContainer | undefined;
  /** @default a BroadcastChannel named after the app (`ferry`, see ferryNames) */
  channel?: () => EventTarget & { close(): void };
  /** Wall-clock time: the enqueue deadline, the status snapshot's `lastSyncedAt` and drain start. @default `{ now: () => Date.now() }` */
  clock?: Clock;
  /** The request timeouts and the re-check and resync timers. @default the global `setTimeout` and `clearTimeout` */
  timers?: Timers;
}

export interface FerryClient {
  /**
   * Connects to the service worker; resolves with its registration once a worker is active. Resolves undefined in page mode.
   * - a script URL: registers it (or reuses the one installed, also offline): a worker that is Ferry's alone;
   * - a `ServiceWorkerRegistration`: the app's own (vite-plugin-pwa's `registerSW`, workbox-window, a hand-written
   *   `navigator.serviceWorker.register`), whose worker hosts Ferry; nothing is registered;
   * - nothing: waits for the registration that controls this page (`navigator.serviceWorker.ready`); nothing is registered.
   */
  register(
    script?: string | URL | ServiceWorkerRegistration,
    options?: RegistrationOptions,
  ): Promise<ServiceWorkerRegistration | undefined>;
  /**
   * Resolves with the op's id once it is durable. Rejects with the worker's typed error (`invalid-operation`, `quota-exceeded`…).
   * The id and idempotency key are made here, before posting, unless given: when the worker does not
   * answer, the same op is sent again (the worker recognises a repeat) until it answers or
   * `enqueueTimeoutMs` passes. Only then does it reject with `worker-timeout`, and then the outcome is
   * unknown: enqueueing the same op again, with the same id, is safe.
   * Calls made in the same task travel to the worker in one message and are written in one transaction;
   * each still settles on its own op alone.
   */
  enqueue(op: OperationInput): Promise<string>;
  /**
   * Settles once the op is `done` or `failed`, also in a page loaded after
   * the enqueue. It *resolves* in both cases, with the op: check `status`
   * (a failed op is data — its `lastError` says why — not an exception).
   * Rejects with `not-found` if the op does not exist or is removed.
   */
  whenDone(id: string): Promise<Operation>;
  /** Sees every state change, from any tab (only `user`'s ops with that filter); returns a cleanup. */
  subscribe(fn: (change: ChangeSummary) => void, filter?: { user?: string }): () => void;
  list(query?: ListQuery): Promise<Operation[]>;
  get(id: string): Promise<Operation | undefined>;
  /**
   * Re-queues a dead letter (a failed op) with a fresh attempt budget and a
   * fresh age (`maxAgeMs` counts from the retry). After a 4xx answer it goes
   * under a new idempotency key (a deduplicating server would replay the
   * stored refusal for the old one; a 409 "still running" keeps its key). It
   * keeps its place in its lane when no op of the lane is in flight, else it
   * queues behind the lane's ops.
   * Rejects with `invalid-state` for an op that is not failed.
   */
  retry(id: string): Promise<Operation>;
  /**
   * Retries, as a retry of one id does each, every dead letter the filter
   * picks (`lane`, `user`, `ids`; all given must match; `{}`: every one), in
   * their enqueue order, in one transaction. Resolves with the retried ops.
   */
  retry(filter: RetryFilter): Promise<Operation[]>;
  /**
   * Removes an op that was never sent, or a failed one (a dead letter):
   * deleted in one transaction, never sent (again). Rejects with
   * `possibly-delivered` once it may have reached the server (in flight, or
   * sent before: enqueue what undoes it), with `invalid-state` once done, and
   * changes nothing then. A waiting `whenDone` rejects with `not-found`.
   */
  remove(id: string): Promise<Operation>;
  /**
   * Edits an op that was never sent: `patch` replaces its `kind`, `target`,
   * `method` or `payload`, validated like an enqueue, read and written in one
   * transaction; it keeps its id, key and place. Rejects with
   * `possibly-delivered` once it may have reached the server (in flight, or
   * sent before): enqueue the edit as a new op then. Rejects with
   * `invalid-state` once done, with the validation error for a bad patch,
   * `not-found` for an unknown id; nothing changes on a rejection.
   */
  update(id: string, patch: Partial<Pick<Operation, 'kind' | 'target' | 'method' | 'payload'>>): Promise<Operation>;
  /** Counts by status; with a `user`, only that user's ops. */
  stats(query?: { user?: string }): Promise<Record<OperationStatus, number>>;
  /**
   * Drains now; resolves with the counts once the drain settled, or, when it runs longer than half of
   * `timeoutMs`, with the counts then: the drain goes on (follow it with `subscribe`, `whenDone` or the status snapshot).
   */
  syncNow(): Promise<Record<OperationStatus, number>>;
  /** Wakes the worker without waiting for the drain; waiting `whenDone` calls look again. */
  kick(reason?: KickReason): Promise<void>;
  /** Stops forwarding events and listening to broadcasts. */
  close(): Promise<void>;
}
