import type { Change } from '@ferry/core';
import type { FerryNames } from '@ferry/core';
import { FerryError, HOST_EVENTS } from '@ferry/core';
import { createLogger } from '@ferry/core/internal';
import { HostLog } from './log/HostLog.ts';
import type { FerryHostOptions } from './options.ts';
import type { Engine } from './engine/buildEngine.ts';
import { buildEngine, retire } from './engine/buildEngine.ts';
import type { ReplyPort } from './platform.ts';
import type { HostSettings } from './engine/resolveOptions.ts';
import { resolveOptions } from './engine/resolveOptions.ts';
import type { Handled } from './engine/serveRequest.ts';
import { reply, serveRequest, toWire } from './engine/serveRequest.ts';
import type { ListenOptions, ServiceWorkerScopeLike } from './handlers.ts';
import { listen } from './handlers.ts';
import type { Request } from '@ferry/core/protocol';
import { PROTOCOL_VERSION, messageName, parseRequest } from '@ferry/core/protocol';

export type { ChannelLike, ReplyPort, SyncManagerLike } from './platform.ts';
export type { ServiceWorkerScopeLike } from './handlers.ts';

const COMPACT_EVERY_MS = 60 * 60 * 1000;

/** The requests whose own commits are broadcast after their reply. */
const WRITES: ReadonlySet<Request['type']> = new Set(['enqueue', 'enqueueBatch', 'retry', 'remove', 'update']);

/**
 * Ferry's host: the Outbox and SyncWorker over the IndexedDB store, woken by
 * every source there is, serving the page protocol and broadcasting every
 * change. A service worker sets it up in two lines:
 *
 *     const host = createFerryHost({ allowedOrigins: ['https://api.example'] });
 *     host.listen(self);
 *
 * The page client's page mode runs the same host in a tab. The engine is
 * built in `engine/buildEngine.ts` from the options `engine/resolveOptions.ts`
 * checked, requests are served in `engine/serveRequest.ts`, and a worker's
 * events are wired in `handlers.ts`; this class owns the engine's lifecycle.
 */
export class FerryHost {
  /** The database, lock, channel and sync tag of this app (its `name`). */
  readonly names: FerryNames;
  readonly #s: HostSettings;
  readonly #log: HostLog;
  readonly #onError: (err: unknown) => void;
  #engine: Promise<Engine> | undefined;
  /** Counts engines built, so that a store ending can only retire its own. */
  #generation = 0;
  /** A registration of the sync tag was made (or is being made) and its sync event has not fired since. */
  #syncAsked = false;
  readonly #listeners = new Set<(change: Change) => void>();
  #lastChance = false;
  #closed = false;

  /** Throws `invalid-config` naming the option (`delivery.leaseMs`) for a bad one; opens nothing yet. */
  constructor(options: FerryHostOptions = {}) {
    this.#s = resolveOptions(options);
    this.names = this.#s.names;
    this.#log = new HostLog(createLogger(this.#s.logger, HOST_EVENTS, this.#s.platform.clock));
    this.#onError = this.#log.error;
  }

  /** Resolves once the store is open and the engine built; rejects if the store cannot open. */
  async ready(): Promise<void> {
    await this.#current();
  }

  #current(): Promise<Engine> {
    // A store that failed to open is tried again on the next call.
    if (!this.#engine) {
      const generation = ++this.#generation;
      this.#engine = buildEngine(this.#s, {
        onError: this.#onError,
        ended: () => this.#storeEnded(generation),
        onChange: (change) => this.#onChange(change),
      }).catch((err: unknown) => {
        this.#engine = undefined;
        throw err;
      });
    }
    return this.#engine;
  }

  /**
   * The default store of engine `generation` closed on its own (the browser
   * closed it, or the database was deleted or upgraded elsewhere): retire
   * that engine and build a new one at once, on a store opened afresh, so
   * that a worker kept alive by its pages does not answer every request with
   * `storage-unavailable` until it is stopped.
   */
  #storeEnded(generation: number): void {
    const engine = this.#engine;
    if (this.#closed || generation !== this.#generation || !engine) return;
    this.#engine = undefined;
    void engine.then(retire).catch(this.#onError);
    void this.wake();
  }

  /**
   * Calls `fn` with every change this host commits, whichever engine it runs (the store may be
   * reopened); returns a cleanup. For code in the same worker (`@ferry/workbox` cleans up after ops).
   */
  subscribe(fn: (change: Change) => void): () => void {
    this.#listeners.add(fn);
    return () => void this.#listeners.delete(fn);
  }

  #onChange(change: Change): void {
    this.#log.change(change);
    for (const fn of this.#listeners) {
      try {
        fn(change);
      } catch (err) {
        this.#onError(err);
      }
    }
    // Queued work and retryable failures ask the browser for a `sync` event later.
    if (change.type === 'put' || change.type === 'requeue' || (change.type === 'retry' && !this.#lastChance))
      this.#registerSync();
  }

  #registerSync(): void {
    const sync = this.#s.platform.backgroundSync();
    // One registration covers every op (the tag is the same) until its sync event fires: asked for once, not
    // per op. Without SyncManager the other wake sources drain.
    if (!sync || this.#syncAsked) return;
    this.#syncAsked = true;
    sync.register(this.names.syncTag).catch((err: unknown) => {
      this.#syncAsked = false;
      this.#log.syncRefused(err);
    });
  }

  /** Drains the queue (under the runner lock). Never rejects. */
  async wake(): Promise<void> {
    if (this.#closed) return;
    try {
      const { wake, outbox, witness } = await this.#current();
      await wake();
      await witness();
      // At most hourly across worker starts: the store keeps the last run's time.
      const { retentionMs, historyRetentionMs = 0 } = this.#s.storage;
      await outbox.compactIfDue(Math.max(retentionMs, historyRetentionMs), COMPACT_EVERY_MS);
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
    // Several hosts may listen in one worker: each answers its own app's requests only.
    if (!this.serves(data)) return;
    const parsed = parseRequest(data);
    if (!parsed.ok) {
      reply(port, {
        v: PROTOCOL_VERSION,
        id: parsed.id,
        ok: false,
        error: { code: 'protocol-error', message: parsed.message },
      });
      return;
    }
    const { id, type } = parsed.request;
    // The reply goes first: the broadcasts of what a write committed (and the sync registration they
    // ask for) follow it, and so does the drain a request asks for.
    const release = WRITES.has(type) ? (await this.#current().catch(() => undefined))?.hold() : undefined;
    let after: (() => Promise<void>) | undefined;
    try {
      const handled = await this.handle(parsed.request);
      after = handled.after;
      reply(port, { v: PROTOCOL_VERSION, id, ok: true, result: handled.result });
    } catch (err) {
      reply(port, { v: PROTOCOL_VERSION, id, ok: false, error: toWire(err) });
    }
    release?.();
    await after?.();
  }

  /** Whether a message is for this host: its `name` is this app's (absent for an app without a name). */
  serves(data: unknown): boolean {
    return messageName(data) === this.names.name;
  }

  /** Runs a validated request. `after`, when set, is the drain the request asks for: start it once answered. */
  async handle(req: Request): Promise<Handled> {
    if (this.#closed) throw new FerryError('closed', 'the Ferry host is closed');
    return serveRequest(await this.#current(), req, {
      wake: () => this.wake(),
      timers: this.#s.platform.timers,
      onError: this.#onError,
      devtools: this.#s.devtools,
      ping: () => ({
        backgroundSync: this.#s.platform.backgroundSync() !== undefined,
        online: this.#s.platform.isOnline(),
      }),
    });
  }

  /**
   * A `sync` event: drain. On the browser's last chance, drain once more and
   * leave what is still pending as it is (it is not failed, and this drain
   * asks for no new registration; the next enqueue or wake will).
   */
  async onSync(lastChance: boolean): Promise<void> {
    // This event used the registration up: what is still due after it asks for a new one.
    this.#syncAsked = false;
    this.#lastChance = lastChance;
    try {
      await this.wake();
    } finally {
      this.#lastChance = false;
    }
  }

  /**
   * Wires a service worker's events (see {@link listen}); the lifecycle stays
   * the app's unless `options` hand it to Ferry. Call it synchronously in the
   * worker script. Returns a cleanup.
   */
  listen(scope: ServiceWorkerScopeLike, options?: ListenOptions): () => void {
    return listen(this, scope, options);
  }

  /** Stops the worker (its sends in flight abort and spend no attempt), stops broadcasting, closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#engine) return;
    await retire(await this.#engine);
  }
}

/** Creates a {@link FerryHost}. */
export function createFerryHost(options: FerryHostOptions = {}): FerryHost {
  return new FerryHost(options);
}
