/**
 * The tests' Ferry: a real host over one MemoryStore (offline, so it sends nothing by itself), an
 * Outbox on the same store that plays the worker's sends, and page clients of the host over a real
 * BroadcastChannel. `reload()` makes a new page client, as a reloaded page has; the store survives.
 * `harness({ origin })` instead sends for real, over HTTP to `origin`, whenever the host wakes.
 */
import type { FerryClient } from '@ferry/client';
import { createFerryClient } from '@ferry/client';
import type { SendResult } from '@ferry/core';
import { MemoryStore, Outbox } from '@ferry/core';
import { summarize } from '@ferry/core/protocol';
import { ScriptedTransport } from '@ferry/core/testing';
import { createFerryHost } from '@ferry/sw';
import { credentials } from '@ferry/sw/credentials';
import { testPlatform } from '@ferry/sw/testing';

const ORIGIN = 'https://app.test';
let n = 0;

export function harness({ origin }: { origin?: string } = {}) {
  const name = `ferry-tq-test-${n++}-${Math.random()}`;
  const store = new MemoryStore();
  const host = createFerryHost({
    storage: { store: async () => store },
    transport: origin === undefined ? new ScriptedTransport() : {},
    platform: testPlatform({
      origin: () => origin ?? ORIGIN,
      isOnline: () => origin !== undefined,
      channel: () => new BroadcastChannel(name),
    }),
    // The tests sign users in: the host serves identity with the credentials feature.
    credentials: credentials(),
    onError: () => {},
  });
  const player = new Outbox({ store, origin: ORIGIN });
  const out = new BroadcastChannel(name);
  player.subscribe((change) => out.postMessage(summarize(change)));
  const worker = {
    postMessage(msg: unknown, transfer: Transferable[]) {
      const port = transfer[0] as MessagePort;
      void host.receive(msg, { postMessage: (reply) => port.postMessage(reply) });
    },
  };
  const pages: FerryClient[] = [];
  const page = (): FerryClient => {
    const client = createFerryClient({
      platform: {
        serviceWorker: () => ({ controller: worker }) as unknown as ServiceWorkerContainer,
        channel: () => new BroadcastChannel(name),
      },
      forwardEvents: false,
      recheckMs: 200,
    });
    pages.push(client);
    return client;
  };
  /** The player claims the next ready op (of `lanes` lanes) and settles each with `result`; resolves with them. */
  const send = async (result: SendResult = { ok: true }, lanes = 1) => {
    const claimed = await player.delivery.claim({ owner: 'player', lanes, leaseMs: 60_000 });
    if (claimed.length)
      await player.delivery.exchange({ settlements: claimed.map((op) => ({ run: [op], results: [result] })) });
    return claimed;
  };
  /** The player claims the next ready op and leaves it in flight. */
  const claim = () => player.delivery.claim({ owner: 'player', lanes: 1, leaseMs: 60_000 });
  return {
    store,
    player,
    page,
    send,
    claim,
    close: async () => {
      out.close();
      await Promise.all(pages.map((p) => p.close()));
      await host.close();
    },
  };
}

/** Resolves once `check` passes, polling every 5 ms; throws its last error after `ms`. */
export async function until(check: () => void | Promise<void>, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
