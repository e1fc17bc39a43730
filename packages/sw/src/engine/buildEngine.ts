import type { Change, Operation } from '@ferry/core';
import type { FerryNames } from '@ferry/core';
import { NetworkProbe, Outbox, SyncWorker } from '@ferry/core';
import type { HostSettings } from './resolveOptions.ts';
import { HttpTransport } from '../http/HttpTransport.ts';
import { NEEDS_AUTH } from '../http/sessions.ts';
import type { CredentialsNeededMessage, SignedOutMessage } from '@ferry/core/protocol';
import { summarize } from '@ferry/core/protocol';
import type { DefaultStore } from './defaultStore.ts';
import { openDefaultStore } from './defaultStore.ts';
import type { Attach, UserAccounts } from '../credentials/feature.ts';
import type { Origins } from '../credentials/origins.ts';
import type { ChannelLike } from '../platform.ts';
import type { OriginPauses } from '../options.ts';

/** Ops per batch send when the transport can batch: 25 small messages make a request of a few kB. */
const DEFAULT_BATCH_SIZE = 25;

/** One engine: the store, the Outbox and SyncWorker over it, the change channel. */
export interface Engine {
  outbox: Outbox;
  worker: SyncWorker;
  /**
   * Drains under the runner lock (the first call starts the worker's loop) and resolves as
   * `SyncWorker.wake` does; once the engine is retired, does nothing.
   */
  wake: () => Promise<void>;
  /** Stops the worker for good: later wakes do nothing. */
  stop: () => Promise<void>;
  channel: ChannelLike | undefined;
  /** When the browser was found to have dropped the default store (see {@link openDefaultStore}). */
  lost: number[];
  /** Reads the storage witness, once; settles once `lost` is complete. */
  witness: () => Promise<void>;
  /** The users' credentials and sessions, when the host was built with the credentials feature. */
  users: UserAccounts | undefined;
  /**
   * Releases the session holds (`needs-auth`) of the users `match` picks
   * (undefined: ops without a user): in the transport, then their held lane
   * heads in the Outbox, then retries the op a first refusal failed, so they
   * go again in their original order. Resolves with the ops released.
   */
  releaseSessions: (match: (user: string | undefined) => boolean) => Promise<Operation[]>;
  origins: Origins;
  /** The transport's per-origin pauses, for the DevTools host; undefined with a transport of the app's. */
  pauses: OriginPauses | undefined;
  names: FerryNames;
  /**
   * Holds back the broadcast (and `onChange`) of each change committed from now on until the returned
   * release is called (once): a request's reply goes out first. A release sends everything held so far,
   * in commit order; holding ends when every hold is released.
   */
  hold: () => () => void;
  cleanup: () => void;
}

export interface EngineHooks {
  onError: (err: unknown) => void;
  /** The default store closed on its own: the engine is dead, build another. */
  ended: () => void;
  /** Every committed change, after it was broadcast. */
  onChange: (change: Change) => void;
}

/** Opens the store and builds the engine from the host's checked options. Rejects if the store cannot open. */
export async function buildEngine(s: HostSettings, hooks: EngineHooks): Promise<Engine> {
  const { names, origins, platform, delivery, storage } = s;
  const { origin, clock, timers, isOnline } = platform;
  const t = s.transport;
  const { store, lost, witness }: DefaultStore = storage.store
    ? { store: await storage.store(), lost: [], witness: () => Promise.resolve() }
    : await openDefaultStore(
        hooks.onError,
        clock.now(),
        hooks.ended,
        storage.durability,
        globalThis.caches,
        names.database,
      );
  const channel = platform.channel();
  const broadcast = (message: SignedOutMessage | CredentialsNeededMessage): void => {
    try {
      channel?.postMessage(message);
    } catch (err) {
      hooks.onError(err);
    }
  };
  const outbox = new Outbox({
    store,
    clock,
    origin: origin(),
    ...(s.retry && { retry: s.retry }),
    random: platform.random,
    allowedOrigins: origins.list,
    ...(storage.maxPayloadBytes !== undefined && { maxPayloadBytes: storage.maxPayloadBytes }),
  });
  const attach = s.credentials?.attach as Attach | undefined;
  const users = await attach?.({
    store,
    outbox,
    clock,
    timers,
    origin: origin(),
    allowed: origins.list,
    broadcast,
    onError: hooks.onError,
  });
  const transport =
    t && 'send' in t
      ? t
      : new HttpTransport({
          origin,
          clock,
          timers,
          ...t,
          allowedOrigins: s.allowedOrigins,
          ...(users && { credentials: users.source }),
          tracer: s.tracer,
          retry: outbox.policy,
        });
  const releaseSessions = async (match: (user: string | undefined) => boolean): Promise<Operation[]> => {
    const failed = transport instanceof HttpTransport ? transport.releaseSessions(match) : [];
    const released = await outbox.delivery.release((op) => op.held?.startsWith(NEEDS_AUTH) === true && match(op.user));
    for (const id of failed) {
      // Failed by the first refusal before the second showed it was the session's: it comes back too.
      const op = await outbox.get(id);
      if (op?.status === 'failed') released.push(await outbox.retry(id));
    }
    return released;
  };
  const worker = new SyncWorker({
    outbox,
    transport,
    probe: new NetworkProbe(isOnline),
    clock,
    timers,
    onError: hooks.onError,
    ...(delivery.batchLimit !== undefined && { batchLimit: delivery.batchLimit }),
    ...(delivery.concurrency !== undefined && { concurrency: delivery.concurrency }),
    ...(delivery.offlineRecheckMs !== undefined && { offlineRecheckMs: delivery.offlineRecheckMs }),
    leaseMs: delivery.leaseMs,
    batchSize: delivery.batchSize ?? (transport.sendBatch ? DEFAULT_BATCH_SIZE : 1),
    lock: { locks: platform.locks, name: names.lock },
  });
  // Only the host's first wake starts the loop (a worker that is not activated yet sends nothing).
  let stopped = false;
  const wake = (): Promise<void> => (stopped ? Promise.resolve() : worker.start());
  const stop = (): Promise<void> => {
    stopped = true;
    return worker.stop();
  };
  const publish = (change: Change): void => {
    try {
      channel?.postMessage(summarize(change));
    } catch (err) {
      hooks.onError(err);
    }
    hooks.onChange(change);
  };
  let held: Change[] | undefined;
  let holds = 0;
  const hold = (): (() => void) => {
    holds++;
    held ??= [];
    return () => {
      const out = held ?? [];
      held = --holds > 0 ? [] : undefined;
      out.forEach(publish);
    };
  };
  const unsubscribe = outbox.subscribe((change) => (held ? held.push(change) : publish(change)));
  // Another runtime (a tab in page mode) queued work: if this one holds the lock, it must look.
  const onRemote = (event: MessageEvent): void => {
    const type = (event.data as { change?: { type?: unknown } } | null)?.change?.type;
    if (type === 'put' || type === 'requeue') void wake();
  };
  channel?.addEventListener('message', onRemote);
  const cleanup = (): void => {
    unsubscribe();
    // What a request still holds goes out before the channel closes.
    const out = held ?? [];
    held = undefined;
    out.forEach(publish);
    channel?.removeEventListener('message', onRemote);
    channel?.close();
  };
  const pauses: OriginPauses | undefined =
    transport instanceof HttpTransport
      ? {
          own: origin(),
          allowed: [origin(), ...origins.list],
          now: () => clock.now(),
          pause: (o, until) => transport.pauseOrigin(o, until),
          list: () => transport.pausedOrigins(clock.now()),
        }
      : undefined;
  return {
    outbox,
    worker,
    wake,
    stop,
    channel,
    lost,
    witness,
    users,
    releaseSessions,
    origins,
    pauses,
    names,
    hold,
    cleanup,
  };
}

/** Stops an engine's worker (aborting its sends in flight), stops its broadcasts, closes its store. */
export async function retire({ stop, cleanup, outbox }: Engine): Promise<void> {
  await stop();
  cleanup();
  await outbox.store.close();
}
