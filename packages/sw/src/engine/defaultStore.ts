import type { OutboxStore } from '@ferry/core';
import { FerryError } from '@ferry/core';
import { IdbStore } from '@ferry/idb';
import type { CacheStorageLike } from './storeWitness.ts';
import { checkWitness } from './storeWitness.ts';

/** The default store, and every time the browser was found to have dropped it (ms, oldest first; filled once the witness was read). */
export interface DefaultStore {
  store: OutboxStore;
  lost: number[];
  /** Reads the witness, once (later calls return the same promise); settles once `lost` is complete. */
  witness: () => Promise<void>;
}

/**
 * The host's default store: IndexedDB, database `database` (`ferry` unless the app is named), with the host's
 * `durability` (the store's own default when undefined). Reported through `report`: records moved aside as
 * unreadable, the store closing on its own (then `ended` is called: open a
 * new one), and a database the browser dropped (`storage-lost`, found by the
 * witness in Cache Storage). Without Cache Storage, or if it fails, the
 * store opens all the same, unwitnessed.
 */
export async function openDefaultStore(
  report: (err: unknown) => void,
  now: number,
  ended: () => void,
  durability: IDBTransactionDurability | undefined,
  caches: CacheStorageLike | undefined = globalThis.caches,
  database = 'ferry',
): Promise<DefaultStore> {
  const store = await IdbStore.open({
    name: database,
    ...(durability && { durability }),
    onCorrupt: (record) =>
      report(new FerryError('corrupt-record', `${record.from} record ${record.key} moved aside: ${record.reason}`)),
    onClose: (reason) => {
      report(reason);
      ended();
    },
  });
  const lost: number[] = [];
  if (!caches) return { store, lost, witness: () => Promise.resolve() };
  let read: Promise<void> | undefined;
  const witness = (): Promise<void> =>
    (read ??= checkWitness(caches, store.created, now, database).then(
      (seen) => {
        lost.push(...seen.lost);
        if (seen.lostNow)
          report(
            new FerryError(
              'storage-lost',
              "the browser dropped Ferry's database and started an empty one: every op queued before now is gone",
            ),
          );
      },
      (err: unknown) => report(err),
    ));
  // Only a database this open created can be a loss, and it holds nothing to send: that witness is read at
  // once. Any other may wait until the first drain (or a request for `lost`): a cold start pays no Cache
  // Storage round trips before its first send.
  if (store.created) void witness();
  return { store, lost, witness };
}
