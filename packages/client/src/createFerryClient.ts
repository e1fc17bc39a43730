import type { OperationInput, RetryFilter } from '@ferry/core';
import { FerryError, systemClock, systemTimers } from '@ferry/core';
import { ferryChannel } from '@ferry/core/internal';
import type { KickReason, RequestBody } from '@ferry/core/protocol';
import { changeFeed } from './lib/changeFeed.ts';
import { enqueueBatcher } from './lib/enqueueBatcher.ts';
import { newId } from './lib/newId.ts';
import { forwardPageEvents } from './lib/pageEvents.ts';
import { pageLog } from './lib/pageLog.ts';
import type { ClientParts, Request } from './lib/parts.ts';
import { attachParts } from './lib/parts.ts';
import { connection } from './lib/register.ts';
import { requester } from './lib/requester.ts';
import { waiter } from './lib/whenDone.ts';
import type { FerryClient, FerryClientOptions } from './types.ts';

type RetryBody = Extract<RequestBody, { type: 'retry' }>;

/**
 * The page side of Ferry: a thin postMessage client of the service worker
 * (or of the host in the page, in page mode). Creating one adds the
 * `online`/`visibilitychange` listeners; `close()` removes them. Each job
 * has its own file in `lib/`: the connection (`register.ts`), the change
 * feed, the enqueue batcher, `whenDone`; this wires them. The status snapshot
 * (`@ferry/client/status`) and identity (`@ferry/client/identity`) plug into
 * the client's parts (`lib/parts.ts`); nothing here refers to them.
 */
export function createFerryClient(options: FerryClientOptions = {}): FerryClient {
  const platform = options.platform ?? {};
  const timers = platform.timers ?? systemTimers;
  const clock = platform.clock ?? systemClock;
  const channelName = ferryChannel(options.name);
  const link = connection(
    platform.serviceWorker ?? (() => (typeof navigator === 'object' ? navigator.serviceWorker : undefined)),
    options.page,
  );
  const timeoutMs = options.timeoutMs ?? 10_000;
  const log = pageLog(options.logger, clock);
  const request = requester(link.target, timeoutMs, options.name, timers, log.failed) as Request;

  const feed = changeFeed({
    open: platform.channel ?? (() => new BroadcastChannel(channelName)),
    foreign: log.foreign,
  });
  const parts: ClientParts = {
    request,
    feed,
    clock,
    timers,
    userChanged: new Set(),
    closing: new Set(),
  };

  const batcher = enqueueBatcher({
    batch: (ops) => request({ type: 'enqueueBatch', ops }),
    single: (op) => request({ type: 'enqueue', op }),
    deadlineMs: options.enqueueTimeoutMs ?? 30_000,
    now: () => clock.now(),
  });
  // Async, so that what throws here rejects; the batcher is still called in the caller's task.
  const enqueue = async (op: OperationInput): Promise<string> => {
    // Not an object: the worker's validation says why, as a typed error.
    if (typeof op !== 'object' || op === null) return batcher(op);
    try {
      const made = { id: op.id ?? newId(), idempotencyKey: op.idempotencyKey ?? newId() };
      const input = { ...op, ...parts.identity?.stamp(op.user), ...made };
      return options.tracer ? options.tracer.enqueue(input, batcher) : batcher(input);
    } catch (err) {
      if (err instanceof FerryError) throw err;
      const why = err instanceof Error ? err.message : String(err);
      throw new FerryError('invalid-operation', `the operation could not be read: ${why}`);
    }
  };

  const get = (id: string) => request({ type: 'get', opId: id }).then((op) => op ?? undefined);
  const waits = waiter({ get, subscribe: (fn) => feed.subscribe(fn), recheckMs: options.recheckMs ?? 10_000, timers });
  const kick = (reason: KickReason = 'kick'): Promise<void> => {
    waits.recheck();
    return request({ type: 'kick', reason }).then(() => {});
  };
  const stopForwarding =
    options.forwardEvents === false
      ? () => {}
      : forwardPageEvents((reason) => {
          parts.identity?.woke();
          void kick(reason).catch(() => {});
        });

  const client: FerryClient = {
    register: link.register,
    enqueue,
    whenDone: waits.whenDone,
    subscribe: feed.subscribe,
    list: (query) => request({ type: 'list', query }),
    get,
    retry: ((target: string | RetryFilter) =>
      request({
        type: 'retry',
        [typeof target === 'string' ? 'opId' : 'filter']: target,
      } as RetryBody)) as FerryClient['retry'],
    remove: (opId) => request({ type: 'remove', opId }),
    update: (opId, patch) => request({ type: 'update', opId, patch }),
    // The host keeps only the query's `user`; a field left undefined is one left out.
    stats: (query) => request({ type: 'stats', query }),
    syncNow: () => request({ type: 'syncNow', waitMs: timeoutMs / 2 }),
    kick,
    async close() {
      for (const fn of parts.closing) fn();
      parts.closing.clear();
      waits.close();
      stopForwarding();
      feed.close();
      await link.close();
    },
  };
  attachParts(client, parts);
  return client;
}
