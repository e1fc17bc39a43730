/**
 * `@ferry/client/testing`: a Ferry inside the test's own page (or Node), for testing components and
 * bindings without a service worker or a server. A real host over a MemoryStore answers the clients'
 * requests; it is offline, so it sends nothing by itself, and the test plays the worker's sends with
 * `deliver()` and `claim()`. Host, player and clients share a real BroadcastChannel, so every change
 * reaches the clients' change feeds as it would from a worker.
 */
import type { Operation, SendResult } from '@ferry/core';
import { MemoryStore, Outbox } from '@ferry/core';
import { summarize } from '@ferry/core/protocol';
import { ScriptedTransport } from '@ferry/core/testing';
import type { FerryHost, FerryHostOptions } from '@ferry/sw';
import { createFerryHost } from '@ferry/sw';
import { TEST_ORIGIN, testPlatform, testServiceWorker } from '@ferry/sw/testing';
import { createFerryClient } from './createFerryClient.ts';
import type { FerryStatusSource } from './status.ts';
import type { FerryClient, FerryClientOptions } from './types.ts';

/** A Ferry for tests; see {@link testFerry}. */
export interface TestFerry {
  /** The store the host and the player share. */
  readonly store: MemoryStore;
  readonly host: FerryHost;
  /** Plays the worker's sends on the same store; its changes are broadcast to the clients. */
  readonly player: Outbox;
  /** The type of every request the clients sent, in order. */
  readonly requests: readonly string[];
  /** How many listeners of the sources passed through {@link TestFerry.counted} are subscribed now. */
  readonly live: { readonly feed: number; readonly status: number };
  /** A page's client of the host: call again for another tab or a reloaded page. */
  client(options?: Omit<FerryClientOptions, 'platform' | 'page'>): FerryClient;
  /** The same client or status snapshot, with its listeners counted in `live.feed` or `live.status`. */
  counted<S extends FerryClient | FerryStatusSource>(source: S): S;
  /** The player claims the next ready op of up to `lanes` lanes and settles each with `result` (ok by default). */
  deliver(result?: SendResult, lanes?: number): Promise<Operation[]>;
  /** The player claims the next ready op of up to `lanes` lanes and leaves it in flight. */
  claim(lanes?: number): Promise<Operation[]>;
  /** Closes the clients made here, the channel and the host. */
  close(): Promise<void>;
}

let made = 0;

/**
 * A real host and its clients in this page. `host` options are the host's own (e.g. `credentials`,
 * `devtools`, `transport`, `platform.isOnline` to let it send); its store, origin and channel are
 * the harness's.
 *
 *     const t = testFerry();
 *     const ferry = t.client();
 *     await ferry.enqueue({ kind: 'note.save', target: '/api/notes', payload: { text: 'hi' } });
 *     await t.deliver(); // the op is done, and ferry's listeners have heard it
 */
export function testFerry(host: FerryHostOptions = {}): TestFerry {
  const name = `ferry-test-${made++}-${Math.random().toString(36).slice(2)}`;
  const origin = globalThis.location?.origin ?? TEST_ORIGIN;
  const store = new MemoryStore();
  const channel = () => new BroadcastChannel(name);
  const ferryHost = createFerryHost({
    transport: new ScriptedTransport(),
    logger: { level: 'silent' },
    ...host,
    storage: { ...host.storage, store: async () => store },
    platform: testPlatform({ origin: () => origin, isOnline: () => false, ...host.platform, channel }),
  });
  const player = new Outbox({ store, origin });
  const out = channel();
  player.subscribe((change) => out.postMessage(summarize(change)));
  const { serviceWorker, requests } = testServiceWorker(ferryHost);
  const live = { feed: 0, status: 0 };
  const clients: FerryClient[] = [];
  const counting = <A extends unknown[]>(key: keyof typeof live, on: (...args: A) => () => void) => {
    return (...args: A) => {
      live[key]++;
      const off = on(...args);
      let once = true;
      return () => {
        if (once) live[key]--;
        once = false;
        off();
      };
    };
  };
  const claim = (lanes = 1) => player.delivery.claim({ owner: 'player', lanes, leaseMs: 60_000 });
  return {
    store,
    host: ferryHost,
    player,
    requests,
    live,
    client(options = {}) {
      const client = createFerryClient({ forwardEvents: false, ...options, platform: { serviceWorker, channel } });
      clients.push(client);
      return client;
    },
    counted<S extends FerryClient | FerryStatusSource>(source: S): S {
      if (typeof source !== 'function') return { ...source, subscribe: counting('feed', source.subscribe) };
      return Object.assign(() => source(), {
        getSnapshot: () => source.getSnapshot(),
        refresh: () => source.refresh(),
        subscribe: counting('status', (onChange: () => void) => source.subscribe(onChange)),
      }) as S;
    },
    async deliver(result = { ok: true }, lanes = 1) {
      const claimed = await claim(lanes);
      if (claimed.length) {
        await player.delivery.exchange({ settlements: claimed.map((op) => ({ run: [op], results: [result] })) });
      }
      return claimed;
    },
    claim,
    async close() {
      out.close();
      await Promise.all(clients.map((c) => c.close()));
      await ferryHost.close();
    },
  };
}
