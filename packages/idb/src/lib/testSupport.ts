// Test helpers only; not exported by the package.
// idb checks values with `instanceof IDBRequest` etc., so the fake's classes
// must be the globals; each test still gets its own fresh factory.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { IdbStore } from '../IdbStore.ts';
import type { IdbStoreOptions } from '../IdbStore.ts';
import type { OpRecord, QuarantinedRecord } from './core.ts';
import { virtualClock } from './testFixtures.ts';

export { IDBFactory };
export {
  buildV1,
  layout,
  op,
  rawAll,
  rawOpen,
  rawPut,
  rec,
  settle,
  CURRENT_LAYOUT,
  virtualClock,
} from './testFixtures.ts';

export interface TestStore {
  store: IdbStore;
  factory: IDBFactory;
  corrupt: QuarantinedRecord[];
  reopen(): Promise<IdbStore>;
}

/** An IdbStore on a fresh in-memory IndexedDB, recording `onCorrupt` reports. */
export async function openTestStore(options: IdbStoreOptions = {}, factory = new IDBFactory()): Promise<TestStore> {
  const corrupt: QuarantinedRecord[] = [];
  const all: IdbStoreOptions = {
    clock: virtualClock(),
    ...options,
    indexedDB: factory,
    onCorrupt: (q) => {
      corrupt.push(q);
      options.onCorrupt?.(q);
    },
  };
  const store = await IdbStore.open(all);
  return { store, factory, corrupt, reopen: () => IdbStore.open(all) };
}

/** Puts records straight into the outbox in one transaction. */
export async function seed(store: IdbStore, recs: OpRecord[]): Promise<void> {
  await store.transaction('readwrite', async (tx) => {
    for (const r of recs) await tx.putOp(r);
  });
}
