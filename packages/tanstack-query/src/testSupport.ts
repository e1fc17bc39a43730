/**
 * The tests' Ferry (`testFerry`: a real host over one MemoryStore, offline, and an Outbox that plays the
 * worker's sends) with identity served. `page()` makes a new page client, as a reloaded page has; the
 * store survives. `harness({ origin })` instead sends for real, over HTTP to `origin`, whenever the host wakes.
 */
import { testFerry } from '@ferry/client/testing';
import { credentials } from '@ferry/sw/credentials';

export function harness({ origin }: { origin?: string } = {}) {
  const t = testFerry({
    credentials: credentials(),
    ...(origin !== undefined && { transport: {}, platform: { origin: () => origin, isOnline: () => true } }),
  });
  return {
    store: t.store,
    player: t.player,
    page: () => t.client({ recheckMs: 200 }),
    send: t.deliver,
    claim: () => t.claim(),
    close: t.close,
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
