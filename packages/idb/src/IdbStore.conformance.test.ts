// Core's one suite for every OutboxStore, run here on fake-indexeddb.
import { storeConformance } from '@ferry/core/testing';
import { IdbStore } from './IdbStore.ts';
import { IDBFactory, rawPut } from './lib/testSupport.ts';

storeConformance('IdbStore (fake-indexeddb)', () => {
  // One factory per test: `open` after `close` must find the same data.
  const factory = new IDBFactory();
  return {
    open: () => IdbStore.open({ indexedDB: factory }),
    corrupt: (id, raw) => rawPut(factory, 'outbox', { ...raw, id }),
  };
});
