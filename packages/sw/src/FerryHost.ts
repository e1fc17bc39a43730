import type { Change, Clock, FerryErrorData, OutboxStore, Random, RetryPolicyOptions, Timers, Transport } from '@ferry/core';
import { FerryError, NetworkProbe, Outbox, SyncWorker, systemClock, systemTimers } from '@ferry/core';
import type { DefaultStore } from './lib/defaultStore.ts';
import { openDefaultStore } from './lib/defaultStore.ts';
import type { HttpTransportOptions } from './HttpTransport.ts';
import { HttpTransport } from './HttpTransport.ts';
import type { EnqueueOutcome, Reply, Request, Results } from './protocol.ts';
import { CHANNEL_NAME, PROTOCOL_VERSION, SYNC_TAG, parseRequest, summarize } from './protocol.ts';
import type { LockManagerLike } from './Runner.ts';
import { Runner } from './Runner.ts';

/** Where change broadcasts go: a BroadcastChannel in browsers. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', fn: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', fn: (event: MessageEvent) => void): void;
  close(): void;
}

/** Background Sync's `registration.sync`. */
export interface SyncManagerLike {
  register(tag: string): Promise<void>;
}

/** A port to answer on: the MessagePort a page sent with its request. */
export interface ReplyPort {
  postMessage(message: Reply): void;
}

/** What `listen` needs of a ServiceWorkerGlobalScope (typed structurally so pages can import the host). */
export interface ServiceWorkerScopeLike {
  readonly location: { readonly origin: string };
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: string, fn: (event: Event) => void): void;
  removeEventListener(type: string, fn: (event: Event) => void): void;
}

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

const COMPACT_EVERY_MS = 60 * 60 * 1000;
/** Ops per batch send when the transport can batch: 25 small messages make a request of a few kB. */
const DEFAULT_BATCH_SIZE = 25;

interface Parts {
  outbox: Outbox;
  worker: SyncWorker;
  runner: Runner;
  channel: ChannelLike | undefined;
  /** When the browser was found to have dropped the default store (see {@link openDefaultStore}). */
  lost: number[];
  cleanup: () => void;
}

/** A request's result, and the work (a drain) its caller starts once the reply is out. */
type Handled = { result: unknown; after?: () => Promise<void> };

const defaultSync = (): SyncManagerLike | undefined =>
  (globalThis as { registration?: { sync?: SyncManagerLike } }).registration?.sync;

/**
 * Ferry's host: the Outbox and SyncWorker over the IndexedDB store, woken by
 * every source there is, serving the page protocol and broadcasting every
 * change. A service worker sets it up in two lines:
 *
 *     const host = createFerryHost({ allowedOrigins: ['https://api.example'] });
 *     host.listen(self);
 *
 * The page client's page mode runs the same host in a tab.
 */
export class FerryHost {
  readonly #o: FerryHostOptions;
  readonly #onError: (err: unknown) => void;
  #lastCompaction = -Infinity;
  #parts: Promise<Parts> | undefined;
  /** Counts engines built, so that a store ending can only retire its own. */
  #generation = 0;
  #syncBusy = false;
  #lastChance = false;
  #closed = false;

  constructor(options: FerryHostOptions = {}) {
    this.#o = options;
    this.#onError = options.onError ?? ((err) => console.warn('ferry:', err));
  }

  /** Resolves once the store is open and the engine built; rejects if the store cannot open. */
  async ready(): Promise<void> {
    await this.#engine();
  }

  #engine(): Promise<Parts> {
    // A store that failed to open is tried again on the next call.
    this.#parts ??= this.#build(++this.#generation).catch((err: unknown) => {
      this.#parts = undefined;
      throw err;
    });
    return this.#parts;
  }

  /**
   * The default store of engine `generation` closed on its own (the browser
   * closed it, or the database was deleted or upgraded elsewhere): retire
   * that engine and build a new one at once, on a store opened afresh, so
   * that a worker kept alive by its pages does not answer every request with
   * `storage-unavailable` until it is stopped.
   */
  #storeEnded(generation: number): void {
    const parts = this.#parts;
    if (this.#closed || generation !== this.#generation || !parts) return;
    this.#parts = undefined;
    void parts.then(retire).catch(this.#onError);
    void this.wake();
  }

  async #build(generation: number): Promise<Parts> {
    const o = this.#o;
    const origin = o.origin ?? (() => location.origin);
    const clock = o.clock ?? systemClock;
    const timers = o.timers ?? systemTimers;
    const isOnline = o.isOnline ?? (() => navigator.onLine);
    const { store, lost }: DefaultStore = o.store ? { store: await o.store(), lost: [] } : await openDefaultStore(this.#onError, clock.now(), () => this.#storeEnded(generation));
    const outbox = new Outbox({
      store,
      clock,
      origin: origin(),
      ...(o.retry && { retry: o.retry }),
      ...(o.random && { random: o.random }),
      ...(o.allowedOrigins && { allowedOrigins: o.allowedOrigins }),
      ...(o.maxPayloadBytes !== undefined && { maxPayloadBytes: o.maxPayloadBytes }),
    });
    const t = o.transport;
    const transport = t && 'send' in t ? t : new HttpTransport({ origin, clock, timers, allowedOrigins: o.allowedOrigins ?? [], ...t });
    const worker = new SyncWorker({
      outbox,
      transport,
      probe: new NetworkProbe(isOnline),
      clock,
      timers,
      onError: this.#onError,
      ...(o.batchLimit !== undefined && { batchLimit: o.batchLimit }),
      ...(o.concurrency !== undefined && { concurrency: o.concurrency }),
      ...(o.leaseMs !== undefined && { leaseMs: o.leaseMs }),
      batchSize: o.batchSize ?? (transport.sendBatch ? DEFAULT_BATCH_SIZE : 1),
    });
    const runner = new Runner({
      outbox,
      worker,
      isOnline,
      clock,
      timers,
      onError: this.#onError,
      locks: o.locks ?? (() => navigator.locks),
      ...(o.offlineRecheckMs !== undefined && { offlineRecheckMs: o.offlineRecheckMs }),
    });
    const channel = (o.channel ?? (() => new BroadcastChannel(CHANNEL_NAME)))();
    const unsubscribe = outbox.subscribe((change) => this.#onChange(change, channel));
    // Another runtime (a tab in page mode) queued work: if this one holds the lock, it must look.
    const onRemote = (event: MessageEvent): void => {
      const type = (event.data as { change?: { type?: unknown } } | null)?.change?.type;
      if (type === 'put' || type === 'requeue') void runner.drain();
    };
    channel?.addEventListener('message', onRemote);
    const cleanup = (): void => {
      unsubscribe();
      channel?.removeEventListener('message', onRemote);
      channel?.close();
    };
    return { outbox, worker, runner, channel, lost, cleanup };
  }

  #onChange(change: Change, channel: ChannelLike | undefined): void {
    try {
      channel?.postMessage(summarize(change));
    } catch (err) {
      this.#onError(err);
    }
    // Queued work and retryable failures ask the browser for a `sync` event later.
    if (change.type === 'put' || change.type === 'requeue' || (change.type === 'retry' && !this.#lastChance)) this.#registerSync();
  }

  #registerSync(): void {
    const sync = (this.#o.backgroundSync ?? defaultSync)();
    // One registration covers every op: the tag is the same. Without SyncManager the other wake sources drain.
    if (!sync || this.#syncBusy) return;
    this.#syncBusy = true;
    sync
      .register(SYNC_TAG)
      .catch((err: unknown) => this.#onError(err))
      .finally(() => {
        this.#syncBusy = false;
      });
  }

  /** Drains the queue (under the runner lock). Never rejects. */
  async wake(): Promise<void> {
    if (this.#closed) return;
    try {
      const { runner, outbox } = await this.#engine();
      await runner.drain();
      const now = (this.#o.clock ?? systemClock).now();
      if (now - this.#lastCompaction >= COMPACT_EVERY_MS) {
        this.#lastCompaction = now;
        await outbox.compact(this.#o.retentionMs ?? 7 * 24 * 60 * 60 * 1000, now);
      }
    } catch (err) {
      this.#onError(err);
    }
  }

  /**
   * Handles one incoming message: validates it, runs it, answers on `port`.
   * Resolves once the work it started (a drain) has settled, so that a
   * service worker can pass it to `event.waitUntil`. Never rejects.
   */
  async receive(data: unknown, port: ReplyPort | undefined): Promise<void> {
    const parsed = parseRequest(data);
    if (!parsed.ok) {
      reply(port, { v: PROTOCOL_VERSION, id: parsed.id, ok: false, error: { code: 'protocol-error', message: parsed.message } });
      return;
    }
    const { id } = parsed.request;
    // The reply goes first; the drain a request asks for starts after it.
    let after: (() => Promise<void>) | undefined;
    try {
      const handled = await this.handle(parsed.request);
      after = handled.after;
      reply(port, { v: PROTOCOL_VERSION, id, ok: true, result: handled.result });
    } catch (err) {
      reply(port, { v: PROTOCOL_VERSION, id, ok: false, error: toWire(err) });
    }
    await after?.();
  }

  /** Runs a validated request. `after`, when set, is the drain the request asks for: start it once answered. */
  async handle(req: Request): Promise<Handled> {
    if (this.#closed) throw new FerryError('closed', 'the Ferry host is closed');
    const { outbox, worker, lost } = await this.#engine();
    const wake = (): Promise<void> => this.wake();
    const done = <K extends keyof Results>(result: Results[K], after?: () => Promise<void>): Handled => (after ? { result, after } : { result });
    switch (req.type) {
      case 'enqueue':
        return done<'enqueue'>(await outbox.enqueue(req.op), wake);
      case 'enqueueBatch': {
        // Started in one synchronous loop, the enqueues share one group commit; each settles on its own.
        const outcomes = await Promise.all(req.ops.map((op) => outbox.enqueue(op).then((stored): EnqueueOutcome => stored.id, toWire)));
        return done<'enqueueBatch'>(outcomes, outcomes.some((o) => typeof o === 'string') ? wake : undefined);
      }
      case 'get':
        return done<'get'>((await outbox.get(req.opId)) ?? null);
      case 'list':
        return done<'list'>(await outbox.list(req.query));
      case 'stats':
        return done<'stats'>(await outbox.stats());
      case 'retry':
        return done<'retry'>(await outbox.retry(req.opId), wake);
      case 'discard':
        return done<'discard'>(await outbox.discard(req.opId));
      case 'syncNow':
        await this.wake();
        return done<'syncNow'>(await outbox.stats());
      case 'kick':
        return done<'kick'>(null, wake);
      case 'ping':
        return done<'ping'>({
          owner: worker.owner,
          backgroundSync: (this.#o.backgroundSync ?? defaultSync)() !== undefined,
          online: (this.#o.isOnline ?? (() => navigator.onLine))(),
          storageLost: lost,
        });
    }
  }

  /**
   * A `sync` event: drain. On the browser's last chance, drain once more and
   * leave what is still pending as it is (it is not failed, and this drain
   * asks for no new registration; the next enqueue or wake will).
   */
  async onSync(lastChance: boolean): Promise<void> {
    this.#lastChance = lastChance;
    try {
      await this.wake();
    } finally {
      this.#lastChance = false;
    }
  }

  /**
   * Wires a service worker's events: `install` (skipWaiting), `activate`
   * (clients.claim), `message`, `sync`; then drains once for the start-up.
   * Call it synchronously in the worker script. Returns a cleanup.
   */
  listen(scope: ServiceWorkerScopeLike): () => void {
    // The scope dispatches each type with its own event class; these are the parts used.
    type Extendable = Event & { waitUntil(promise: Promise<unknown>): void };
    type Message = Extendable & { data: unknown; origin: string; ports: readonly ReplyPort[] };
    type Sync = Extendable & { tag?: string; lastChance?: boolean };
    const handlers: Record<string, (e: Event) => void> = {
      install: (e) => (e as Extendable).waitUntil(scope.skipWaiting()),
      activate: (e) => (e as Extendable).waitUntil(scope.clients.claim()),
      message: (e) => {
        const m = e as Message;
        // Only same-origin pages can message a worker; checked anyway, cheaply.
        const data = !m.origin || m.origin === scope.location.origin ? m.data : null;
        m.waitUntil(this.receive(data, m.ports[0]));
      },
      sync: (e) => {
        const s = e as Sync;
        if (s.tag === SYNC_TAG) s.waitUntil(this.onSync(s.lastChance === true));
      },
    };
    for (const [type, fn] of Object.entries(handlers)) scope.addEventListener(type, fn);
    // Start-up is a wake source: the worker may have been stopped with work due.
    void this.wake();
    return () => {
      for (const [type, fn] of Object.entries(handlers)) scope.removeEventListener(type, fn);
    };
  }

  /** Stops the runner after its sends settle, stops broadcasting, closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#parts) return;
    await retire(await this.#parts);
  }
}

/** Stops an engine's runner after its sends settle, stops its broadcasts, closes its store. */
async function retire({ runner, cleanup, outbox }: Parts): Promise<void> {
  await runner.close();
  cleanup();
  await outbox.store.close();
}

/** Creates a {@link FerryHost}. */
export function createFerryHost(options: FerryHostOptions = {}): FerryHost {
  return new FerryHost(options);
}

function reply(port: ReplyPort | undefined, message: Reply): void {
  try {
    port?.postMessage(message);
  } catch {
    // The page is gone or closed its port: nobody is left to tell.
  }
}

/** Errors cross as `{ code, message }` (SPEC, Errors). */
function toWire(err: unknown): FerryErrorData {
  if (err instanceof FerryError) return err.toJSON();
  // Not Ferry's own: a bug, or the platform failing in a way nothing mapped. Stores map their
  // own failures (quota, unavailable) to FerryErrors, so what reaches here is reported as such.
  return { code: 'internal', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}
