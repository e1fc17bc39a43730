import type { ListQuery, Operation, OperationInput, OperationStatus, RetryFilter } from '@ferry/core';
import { FerryError, ferryNames } from '@ferry/core';
import { nanoid } from 'nanoid';
import type {
  ChangeMessage,
  ChangeSummary,
  CredentialsInput,
  CredentialsNeededMessage,
  KickReason,
  RequestBody,
  Results,
  SignedOutMessage,
  SignOutResult,
} from '@ferry/core/protocol';
import { enqueueBatcher } from './lib/enqueueBatcher.ts';
import type { CredentialsProvider } from './lib/identity.ts';
import { identity } from './lib/identity.ts';
import type { FerryStatusSource } from './lib/statusStore.ts';
import { statusStore } from './lib/statusStore.ts';
import type { PostTarget } from './lib/requester.ts';
import { requester } from './lib/requester.ts';

export type { CredentialsProvider, CredentialsRequest } from './lib/identity.ts';

/** The host running in the page, from `@ferry/client/page`. */
export interface PageTarget extends PostTarget {
  close?(): Promise<void>;
}

export interface FerryClientOptions {
  /** The app's name on its origin: the same as its host's `name` (see ferryNames). @default none */
  name?: string;
  /**
   * Gives the worker the signed-in user's credentials whenever it needs them:
   * at `setUser`, and when the worker asks (none yet, expired, or refused by
   * the server). Return `{ headers, expiresAt? }`, typically after refreshing
   * a token, or undefined when there are none (the user's ops then wait,
   * spending nothing, until the next ask or `setCredentials`). A provider that
   * throws is the same as undefined. Asked only for the user signed in here.
   */
  credentials?: CredentialsProvider;
  /**
   * Called when the user signed in on this page is signed out in another tab (a sign-out anywhere is a
   * sign-out everywhere): the page stops stamping and giving credentials for them, and an `enqueue` that
   * names no user rejects with `signed-out` until `setUser` is called again. Show the sign-in screen here.
   */
  onSignedOut?: (user: string) => void;
  /** A request the worker has not answered by then rejects with `worker-timeout`. @default 10000 */
  timeoutMs?: number;
  /**
   * How long `enqueue` keeps sending the same op (same id) after a `worker-timeout`
   * before it rejects with `worker-timeout`: the outcome is then unknown. @default 30000
   */
  enqueueTimeoutMs?: number;
  /**
   * `auto` talks to the service worker, or runs the host in the page through
   * `fallback` where service workers are missing; `page` always does the latter.
   * @default 'auto'
   */
  mode?: 'auto' | 'page';
  /** The page-mode host: `pageHost(options)` from `@ferry/client/page`. Kept out of the default bundle. */
  fallback?: () => PageTarget;
  /** @default `navigator.serviceWorker` where it exists */
  serviceWorker?: () => ServiceWorkerContainer | undefined;
  /** @default a BroadcastChannel named after the app (`ferry`, see ferryNames) */
  channel?: () => EventTarget & { close(): void };
  /** Forward the page's `online` and `visibilitychange` (visible) to the worker. @default true */
  forwardEvents?: boolean;
  /**
   * While a `whenDone` waits, how often it asks the worker again (ms). A broadcast can be lost
   * (a worker killed between its commit and its broadcast); this, and the page's `online` and
   * visible `visibilitychange`, make such a wait end anyway.
   * @default 10000
   */
  recheckMs?: number;
  /** While `status` has subscribers, how often it is loaded again in case a broadcast was lost (ms). @default 60000 */
  statusResyncMs?: number;
  /**
   * Whose ops the status snapshot counts: `signed-in`, the ops of the user `setUser` set (with nobody
   * signed in, the ops that are nobody's); `all`, every user's (an admin view).
   * @default 'signed-in'
   */
  statusUsers?: 'signed-in' | 'all';
  /** Wall-clock time, for the status snapshot's `lastSyncedAt` and drain start. @default `() => Date.now()` */
  now?: () => number;
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
   * Says who is signed in on this page: every later `enqueue` is stamped with
   * this `user` (unless the op names one), and the worker sends those ops only
   * with that user's credentials. `null`: nobody (ops are nobody's). With a
   * `credentials` provider, it is asked for the user's credentials at once.
   * Rejects with `invalid-argument` for anything but a non-empty string or null.
   */
  setUser(user: string | null): Promise<void>;
  /** The user `setUser` set, or null. */
  readonly user: string | null;
  /**
   * Hands the worker `user`'s credentials for their API (`origin`: the app's
   * own unless given; an allow-listed one otherwise). Kept in the worker's
   * memory, never in an op; the user's held ops go at once. Rejects with
   * `invalid-argument` for a bad user, headers that are not a record of
   * strings, or an origin that is not the app's or allow-listed.
   */
  setCredentials(user: string, credentials: CredentialsInput): Promise<void>;
  /**
   * The user signed in here signs out: the worker forgets their credentials,
   * so nothing of theirs is sent until they sign in again, and no other user
   * ever sends it. `discard: true` deletes their unsent ops; one on the wire
   * settles first and is deleted then unless it was delivered (never sent
   * again, also after a worker restart). Otherwise they are kept for the
   * user's next sign-in. Resolves with how many were unsent and how many
   * were deleted at once. The status snapshot turns to the next user's ops.
   */
  signOut(options?: { discard?: boolean }): Promise<SignOutResult>;
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
   * Retries, as `retry` does each, every dead letter the filter picks
   * (`lane`, `user`, `ids`; all given must match; default: every one), in
   * their enqueue order, in one transaction. Resolves with the retried ops.
   */
  retryAll(filter?: RetryFilter): Promise<Operation[]>;
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
   * The status snapshot for UIs (online, counts in total, per lane and per user, the next
   * retry, `lastSyncedAt`, the current drain's progress): `status()` returns it, the same
   * object until something changed; `status.subscribe(fn)` keeps it current from the change
   * feed, without a request per change. `useSyncExternalStore(ferry.status.subscribe, ferry.status)`.
   */
  readonly status: FerryStatusSource;
  /**
   * Drains now; resolves with the counts once the drain settled, or, when it runs longer than half of
   * `timeoutMs`, with the counts then: the drain goes on (follow it with `subscribe`, `status` or `whenDone`).
   */
  syncNow(): Promise<Record<OperationStatus, number>>;
  /** Wakes the worker without waiting for the drain; waiting `whenDone` calls look again. */
  kick(reason?: KickReason): Promise<void>;
  /** Stops forwarding events and listening to broadcasts. */
  close(): Promise<void>;
}

const isTerminal = (s: OperationStatus): boolean => s === 'done' || s === 'failed';

/**
 * The page side of Ferry: a thin postMessage client of the service worker.
 * Creating one adds the `online`/`visibilitychange` listeners; `close()`
 * removes them.
 */
export function createFerryClient(options: FerryClientOptions = {}): FerryClient {
  const container =
    options.serviceWorker ?? (() => (typeof navigator === 'object' ? navigator.serviceWorker : undefined));
  const usePage = options.mode === 'page' || !container();
  let page: PageTarget | undefined;
  let registration: ServiceWorkerRegistration | undefined;

  const target = async (): Promise<PostTarget | undefined> => {
    if (usePage) return (page ??= options.fallback?.());
    const sw = container() as ServiceWorkerContainer;
    // Read at each send: a restarted or updated worker is the one reached.
    return sw.controller ?? registration?.active ?? (await sw.ready).active ?? undefined;
  };
  const names = ferryNames(options.name);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const send = requester(target, timeoutMs, names.name);
  const request = <K extends RequestBody['type']>(body: Extract<RequestBody, { type: K }>): Promise<Results[K]> =>
    send(body) as Promise<Results[K]>;

  const batcher = enqueueBatcher({
    batch: (ops) => request({ type: 'enqueueBatch', ops }),
    single: (op) => request({ type: 'enqueue', op }),
    deadlineMs: options.enqueueTimeoutMs ?? 30_000,
  });
  const enqueue = (op: OperationInput): Promise<string> => {
    // Not an object: the worker's validation says why, as a typed error.
    if (typeof op !== 'object' || op === null) return batcher(op);
    try {
      return batcher({
        ...op,
        ...who.stamp(op.user),
        id: op.id ?? nanoid(),
        idempotencyKey: op.idempotencyKey ?? nanoid(),
      });
    } catch (err) {
      if (err instanceof FerryError) return Promise.reject(err);
      return Promise.reject(
        new FerryError(
          'invalid-operation',
          `the operation could not be read: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
    }
  };

  const listeners = new Set<(change: ChangeSummary) => void>();
  let channel: (EventTarget & { close(): void }) | undefined;
  const onBroadcast = (event: Event): void => {
    const data = (event as MessageEvent<ChangeMessage | CredentialsNeededMessage | SignedOutMessage>).data;
    if (data?.v !== 1) return;
    if (data.type === 'credentials-needed') return void who.provide(data.user, data);
    if (data.type === 'signed-out') return who.signedOut(data);
    if (data.type !== 'change' || typeof data.change?.op?.id !== 'string') return;
    for (const fn of listeners) fn(data.change);
  };
  const listen = (): void => {
    if (channel) return;
    channel = (options.channel ?? (() => new BroadcastChannel(names.channel)))();
    channel.addEventListener('message', onBroadcast);
  };
  const subscribe = (fn: (change: ChangeSummary) => void, filter: { user?: string } = {}): (() => void) => {
    listen();
    const only = filter.user;
    const listener =
      only === undefined ? fn : (change: ChangeSummary): void => void (change.op.user === only && fn(change));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  };

  const pageOrigin = (): string => (typeof location === 'object' ? location.origin : '');
  const who = identity({
    request,
    provider: options.credentials,
    origin: pageOrigin,
    listen,
    onSignedOut: options.onSignedOut,
    // The status snapshot counts the signed-in user's ops: another user, another count.
    onUserChange: () => status.rescope(),
  });

  // The re-checks of the waiting whenDone calls, and one slow timer while any waits.
  const waiting = new Set<() => void>();
  const recheckMs = options.recheckMs ?? 10_000;
  let poll: ReturnType<typeof setTimeout> | undefined;
  const recheck = (): void => {
    for (const check of waiting) check();
  };
  const arm = (): void => {
    clearTimeout(poll);
    poll = waiting.size > 0 ? setTimeout(() => (recheck(), arm()), recheckMs) : undefined;
  };

  const kick = (reason: KickReason = 'kick'): Promise<void> => {
    recheck();
    return request({ type: 'kick', reason }).then(() => {});
  };
  const quietKick = (reason: KickReason): void => {
    who.retryOwed();
    void kick(reason).catch(() => {});
  };
  const onOnline = (): void => quietKick('online');
  const onVisible = (): void => {
    if (document.visibilityState === 'visible') quietKick('visible');
  };
  const forward =
    options.forwardEvents !== false && typeof addEventListener === 'function' && typeof document === 'object';
  if (forward) {
    addEventListener('online', onOnline);
    document.addEventListener('visibilitychange', onVisible);
  }

  const scope = (): string | null | undefined => (options.statusUsers === 'all' ? undefined : who.user);
  const status = statusStore({
    load: (doneSince, who) => {
      const since = doneSince === undefined ? {} : { doneSince };
      return request({ type: 'status', ...since, ...(who !== undefined && { user: who }) });
    },
    scope,
    feed: (fn) => subscribe(fn),
    now: options.now ?? (() => Date.now()),
    isOnline: () => typeof navigator !== 'object' || navigator.onLine !== false,
    resyncMs: options.statusResyncMs ?? 60_000,
    pageEvents: typeof addEventListener === 'function' && typeof document === 'object',
  });

  const get = (id: string): Promise<Operation | undefined> =>
    request({ type: 'get', opId: id }).then((op) => op ?? undefined);

  const whenDone = (id: string): Promise<Operation> =>
    new Promise((resolve, reject) => {
      let settled = false;
      const settle = (op: Operation | undefined, err?: unknown): void => {
        if (settled || (op && !isTerminal(op.status))) return;
        settled = true;
        off();
        waiting.delete(quiet);
        if (waiting.size === 0) arm();
        if (op) resolve(op);
        else reject(err ?? new FerryError('not-found', `no operation ${JSON.stringify(id)}`));
      };
      // Once more on failure: the first request may have been the one that restarted a killed worker.
      const check = (): Promise<void> =>
        get(id)
          .catch(() => get(id))
          .then(
            (op) => settle(op),
            (err: unknown) => settle(undefined, err),
          );
      // A re-check that fails changes nothing: the wait goes on, and the next one asks again.
      const quiet = (): void =>
        void get(id).then(
          (op) => settle(op),
          () => {},
        );
      // Listen before looking, so that a change between the two is not missed.
      const off = subscribe((change) => {
        if (change.op.id !== id) return;
        if (change.type === 'remove') settle(undefined, new FerryError('not-found', `operation ${id} was removed`));
        else if (isTerminal(change.op.status)) void check();
      });
      waiting.add(quiet);
      if (waiting.size === 1) arm();
      void check();
    });

  return {
    async register(script, opts) {
      if (usePage) return undefined;
      const sw = container() as ServiceWorkerContainer;
      let reg: ServiceWorkerRegistration;
      // The app's own registration, or the one controlling the page: never a second worker over the app's.
      if (script === undefined) reg = await sw.ready;
      else if (typeof script === 'object' && !(script instanceof URL)) reg = script;
      else
        try {
          reg = await sw.register(script, opts);
        } catch (err) {
          // Offline, the update check cannot fetch the script: the installed worker still does the job.
          const installed = await sw.getRegistration(opts?.scope ?? '');
          if (!installed?.active) throw err;
          reg = installed;
        }
      registration = reg;
      const w = reg.installing ?? reg.waiting;
      if (!reg.active && w) {
        await new Promise<void>((resolve) => {
          const on = (): void => {
            if (w.state !== 'activated' && w.state !== 'redundant') return;
            w.removeEventListener('statechange', on);
            resolve();
          };
          w.addEventListener('statechange', on);
          on();
        });
      }
      return reg;
    },
    enqueue,
    setUser: who.setUser,
    get user() {
      return who.user;
    },
    setCredentials: who.setCredentials,
    signOut: ({ discard = false } = {}) => who.signOut(discard),
    whenDone,
    subscribe,
    list: (query = {}) => request({ type: 'list', query }),
    get,
    retry: (id) => request({ type: 'retry', opId: id }),
    retryAll: (filter = {}) => request({ type: 'retryAll', filter }),
    remove: (id) => request({ type: 'remove', opId: id }),
    update: (id, patch) => request({ type: 'update', opId: id, patch }),
    stats: (query = {}) => request({ type: 'stats', ...(query.user !== undefined && { query: { user: query.user } }) }),
    status,
    syncNow: () => request({ type: 'syncNow', waitMs: Math.floor(timeoutMs / 2) }),
    kick,
    async close() {
      status.close();
      waiting.clear();
      arm();
      if (forward) {
        removeEventListener('online', onOnline);
        document.removeEventListener('visibilitychange', onVisible);
      }
      listeners.clear();
      channel?.removeEventListener('message', onBroadcast);
      channel?.close();
      channel = undefined;
      await page?.close?.();
    },
  };
}
