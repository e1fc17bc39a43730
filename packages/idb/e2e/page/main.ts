// A bare page over the IndexedDB store, driven by the storage e2e tests.
import { FerryError, Outbox } from '@ferry/core';
import { IdbStore } from '@ferry/idb';

const opened = IdbStore.open({ name: 'ferry-e2e' }).then((store) => ({
  store,
  outbox: new Outbox({ store, maxPayloadBytes: 8 * 1024 * 1024 }),
}));

const codeOf = (err: unknown): string => (err instanceof FerryError ? err.code : `not a FerryError: ${String(err)}`);

const api = {
  /** Ids acknowledged so far by `enqueueForever`. */
  acked: [] as string[],

  /** Enqueues bursts of 10 until the page dies; every ack is recorded as it arrives. */
  async enqueueForever(): Promise<void> {
    const { outbox } = await opened;
    for (let i = 0; ; i++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          outbox
            .enqueue({
              kind: 'message.send',
              target: '/api/messages',
              payload: { n: i * 10 + j, text: 'survive the crash' },
            })
            .then((op) => {
              api.acked.push(op.id);
            }),
        ),
      );
    }
  },

  /** Whether this page's open created the database (after a crash: the browser dropped it). */
  async created(): Promise<boolean> {
    return (await opened).store.created;
  },

  async ids(): Promise<string[]> {
    const { outbox } = await opened;
    const all = await outbox.list({ limit: 1e6 });
    return all.map((o) => o.id);
  },

  async walPuts(): Promise<number> {
    const { outbox } = await opened;
    return (await outbox.wal.records()).filter((r) => r.type === 'put').length;
  },

  /** Enqueues `bytes`-sized payloads until one fails; returns how many succeeded and the failure's code. */
  async fillUntilRejected(bytes: number, max: number): Promise<{ stored: number; code: string }> {
    const { outbox } = await opened;
    // Random text: Chromium compresses IndexedDB values, so a repeated character would barely count.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const randomText = (): string =>
      Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => alphabet[b % 62]).join('');
    for (let i = 0; i < max; i++) {
      try {
        await outbox.enqueue({ kind: 'blob.put', target: '/api/blobs', payload: { i, text: randomText() } });
      } catch (err) {
        return { stored: i, code: codeOf(err) };
      }
    }
    return { stored: max, code: 'none' };
  },

  async enqueueSmall(): Promise<string> {
    const { outbox } = await opened;
    try {
      return (await outbox.enqueue({ kind: 'message.send', target: '/api/messages', payload: { text: 'small' } })).id;
    } catch (err) {
      return `error:${codeOf(err)}`;
    }
  },

  async readAll(): Promise<{ count: number; readable: boolean }> {
    const { outbox } = await opened;
    const all = await outbox.list({ limit: 1e6 });
    return { count: all.length, readable: all.every((o) => o.status === 'pending' && typeof o.payload === 'object') };
  },
};

declare global {
  interface Window {
    storageE2e: typeof api;
  }
}
window.storageE2e = api;
document.title = 'ready';
