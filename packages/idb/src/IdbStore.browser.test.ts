// Core's store conformance suite against the real IndexedDB of headless Chromium.
import { storeConformance } from '@ferry/core/testing';
import { IdbStore } from './IdbStore.ts';
import { rawPut } from './lib/testFixtures.ts';

let databases = 0;

storeConformance('IdbStore in Chromium', () => {
  // The page's IndexedDB is shared by every test: one database each.
  const name = `ferry-conformance-${++databases}-${Date.now()}`;
  return {
    open: () => IdbStore.open({ name }),
    corrupt: (id, raw) => rawPut(indexedDB, 'outbox', { ...raw, id }, name),
  };
});
